"""What the delivery service's endpoints use, built once by the composition root (bootstrap.py) and given to
each endpoint as a FastAPI dependency: `ctx: Delivery`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from leadrelay.delivery.adapters.sales_tools import SalesTools
from leadrelay.delivery.adapters.sender import WebhookSender
from leadrelay.delivery.adapters.store import DeliveryStore
from leadrelay.delivery.settings import DeliverySettings
from leadrelay.service.context import app_context
from leadrelay.service.ratelimit import SlidingWindowCounter
from leadrelay.service.runtime import ServiceRuntime


@dataclass(frozen=True)
class DeliveryContext:
    """The runtime, the store, the sender (whose target check a new subscription passes), the settings, and for
    the links in emails: the sales tools they act through (none without email) and the limits on opening them."""

    runtime: ServiceRuntime
    store: DeliveryStore
    sender: WebhookSender
    settings: DeliverySettings
    sales_tools: SalesTools | None
    link_limits: SlidingWindowCounter


Delivery = Annotated[DeliveryContext, Depends(app_context)]
