"""Editing pages: forms to create, change, link and delete initiatives and chain nodes."""

from django.http import Http404


def initiative_create(request):
    raise Http404


def initiative_edit(request, pk):
    raise Http404


def initiative_delete(request, pk):
    raise Http404


def node_create(request):
    raise Http404


def node_edit(request, pk):
    raise Http404


def node_delete(request, pk):
    raise Http404


def node_link(request, pk):
    raise Http404
