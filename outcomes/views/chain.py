"""Reading pages: the chain, initiatives, an initiative with its sub-chain, a node."""

from django.http import Http404


def chain_page(request):
    raise Http404


def initiative_list(request):
    raise Http404


def initiative_detail(request, pk):
    raise Http404


def node_detail(request, pk):
    raise Http404
