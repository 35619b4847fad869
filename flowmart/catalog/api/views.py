from django.http import Http404, HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from .. import cache, selectors
from .filters import ProductFilter
from .serializers import CategorySerializer, ProductDetailSerializer, ProductListSerializer


class ProductListView(generics.ListAPIView):
    """The storefront catalogue: active products, filtered, searched and ordered."""

    permission_classes = [AllowAny]
    serializer_class = ProductListSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilter

    def get_queryset(self):
        return selectors.storefront_products()

    def list(self, request, *args, **kwargs):
        """Pages are the same for every caller, so their JSON is cached (see catalog.cache)."""
        if request.accepted_renderer.format != "json":  # the browsable API (DEBUG) renders afresh
            return super().list(request, *args, **kwargs)
        key, page = cache.lookup(request.build_absolute_uri())
        if page is None:
            page = JSONRenderer().render(super().list(request, *args, **kwargs).data)
            cache.store(key, page)
        return HttpResponse(page, content_type="application/json")


class ProductDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ProductDetailSerializer

    def get_object(self):
        product = selectors.product_detail(self.kwargs["pk"])
        if product is None:
            raise Http404
        return product


class CategoryListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CategorySerializer

    def get_queryset(self):
        return selectors.categories()
