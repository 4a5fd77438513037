#!/usr/bin/env python3
"""Trains the scikit-learn model the Python server serves (a logistic regression on the 8x8
digits that ship with scikit-learn) and saves it, with its held-out rows, to MODEL_PATH."""
import os

import joblib
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

path = os.environ.get("MODEL_PATH", "/model/model.joblib")
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
model = LogisticRegression(max_iter=2000).fit(X_train, y_train)
joblib.dump({"model": model, "X_test": X_test, "y_test": y_test}, path)
print(f"trained: held-out accuracy {model.score(X_test, y_test):.4f}; saved to {path}")
