"""Reading a streamed CSV download in tests, and counting the queries it takes."""

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext


def read_csv(response) -> list[list[str]]:
    """The rows of a ``?format=csv`` answer (header first); fails unless it is a CSV attachment."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def csv_queries(client, url: str) -> tuple[int, list[list[str]]]:
    """(queries the request and its whole streamed file took, the file's rows)."""
    with CaptureQueriesContext(connection) as queries:
        rows = read_csv(client.get(url))
    return len(queries.captured_queries), rows


def shows_export_button(html: str) -> bool:
    """The page's Export CSV button, a link to the same list with format=csv."""
    return "Export CSV" in html and "format=csv" in html
