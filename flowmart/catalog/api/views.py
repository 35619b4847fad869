from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics
from rest_framework.permissions import AllowAny

from .. import selectors
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
