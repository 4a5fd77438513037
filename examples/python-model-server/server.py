"""The Python model server a team typically has: FastAPI + scikit-learn, loading its model at
start-up. It runs unchanged in a pod; the Deployment gives it probes, resources and replicas."""
import os
import time

import joblib
import numpy as np
from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel

app = FastAPI()
state = {}


class PredictRequest(BaseModel):
    instances: list[list[float]]


@app.on_event("startup")
def load():
    started = time.time()
    state["model"] = joblib.load(os.environ.get("MODEL_PATH", "/model/model.joblib"))["model"]
    print(f"model loaded in {time.time() - started:.2f}s", flush=True)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/ready")
def ready(response: Response):
    if "model" not in state:
        response.status_code = 503
        return {"status": "loading"}
    return {"status": "ready"}


@app.post("/predict")
def predict(request: PredictRequest, response: Response):
    model = state["model"]
    X = np.asarray(request.instances, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != model.n_features_in_:
        raise HTTPException(400, f"each instance needs {model.n_features_in_} features")
    response.headers["Served-By"] = os.environ.get("HOSTNAME", "")
    return {"predictions": model.predict(X).tolist()}
