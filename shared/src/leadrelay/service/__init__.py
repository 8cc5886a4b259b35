"""What every service process shares: the FastAPI app shell and the runtime of background tasks."""
