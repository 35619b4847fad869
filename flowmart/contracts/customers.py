from datetime import datetime

from flowmart.events.base import Event, event


@event
class CustomerRegistered(Event):
    customer_id: int
    email: str
    first_name: str
    last_name: str
    joined_at: datetime
