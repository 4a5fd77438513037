"""The anchor of bench/serving_bench: the usual Python model server, FastAPI on uvicorn in its
best configuration (an async handler, uvloop, httptools), serving the same TorchScript model
with the same request and response bodies as mlserve's POST /predict.
Run: MODEL=path/to/model.pt python3 -m uvicorn fastapi_server:app --loop uvloop --http httptools"""
import os

import torch
from fastapi import FastAPI, Request
from fastapi.responses import ORJSONResponse, JSONResponse

torch.set_num_threads(1)
model = torch.jit.load(os.environ["MODEL"])
model.eval()
app = FastAPI()


@app.post("/predict")
async def predict(request: Request):
    body = await request.json()
    with torch.inference_mode():
        out = model(torch.tensor(body["instances"], dtype=torch.float32))
    return JSONResponse({"predictions": out.tolist()})


@app.get("/ready")
async def ready():
    return {"ready": True}
