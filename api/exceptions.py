"""The exceptions an endpoint raises for a problem answer (api/problems.py turns every exception
into one). Kept apart from problems.py, which imports rest_framework.views: the authentication
class needs these while DRF's settings are being loaded."""

from rest_framework import exceptions

# code -> status of the problems raised by these classes (api/problems.py PROBLEMS has them all).
STATUS = {"conflict": 409, "did-sold": 409, "validation": 422, "refused": 422}


class Problem(exceptions.APIException):
    """A problem of a given ``code`` (a key of PROBLEMS) with this occurrence's detail."""

    code = "conflict"

    def __init__(self, detail=None, code: str | None = None, errors: dict | None = None):
        self.code = code or self.code
        self.status_code = STATUS[self.code]
        self.errors = errors
        super().__init__(detail or self.code, self.code)


class Conflict(Problem):
    """409: e.g. ``raise Conflict("DID +18555801802 was just bought by someone else.", code="did-sold")``."""

    code = "conflict"


class AccountSuspended(exceptions.PermissionDenied):
    """The token's account is suspended (api/authentication.py): 403 account-suspended."""

    default_detail = "Your account is suspended: the API refuses its requests until it is reactivated."
    default_code = "account-suspended"
