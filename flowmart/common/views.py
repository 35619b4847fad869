"""JSON answers for errors raised outside DRF views (unknown URLs, crashes, refusals)."""

from django.http import JsonResponse

from .errors import error_body


def bad_request(request, exception=None):
    return JsonResponse(error_body("validation_error", "Bad request."), status=400)


def permission_denied(request, exception=None):
    return JsonResponse(error_body("permission_denied", "You do not have permission to do this."), status=403)


def not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def server_error(request):
    return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
