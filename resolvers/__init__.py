"""What queries and mutations do: plain async functions over models. No Strawberry here."""
