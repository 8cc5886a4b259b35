"""The baseline: a bare FastAPI endpoint that validates the same JSON and answers 202, storing nothing."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from pydantic import BaseModel, EmailStr

app = FastAPI()


class Lead(BaseModel):
    email: EmailStr
    name: str | None = None
    company: str | None = None


@app.post("/v1/leads", status_code=202)
async def post_lead(lead: Lead) -> dict[str, str]:
    return {"lead_id": str(uuid.uuid4())}
