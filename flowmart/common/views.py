"""JSON answers for errors raised outside DRF views (unknown URLs, crashes)."""

from django.http import JsonResponse

from .errors import error_body


def not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def server_error(request):
    return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
