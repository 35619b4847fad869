"""Commands that change the orders context, each in one transaction that also
publishes its events: carts, checkout, the order lifecycle, projections."""
