from django.urls import path

from .views import chain, cite, edit

urlpatterns = [
    path("chain/", chain.chain_page, name="chain"),
    path("chain/groups/<str:level>/", chain.chain_group, name="chain-group"),
    path("initiatives/", chain.initiative_list, name="initiative-list"),
    path("initiatives/new/", edit.initiative_create, name="initiative-create"),
    path("initiatives/<int:pk>/", chain.initiative_detail, name="initiative-detail"),
    path("initiatives/<int:pk>/edit/", edit.initiative_edit, name="initiative-edit"),
    path("initiatives/<int:pk>/delete/", edit.initiative_delete, name="initiative-delete"),
    path("chain/nodes/new/", edit.node_create, name="node-create"),
    path("chain/nodes/<int:pk>/", chain.node_detail, name="node-detail"),
    path("chain/nodes/<int:pk>/edit/", edit.node_edit, name="node-edit"),
    path("chain/nodes/<int:pk>/delete/", edit.node_delete, name="node-delete"),
    path("chain/nodes/<int:pk>/links/", edit.node_link, name="node-link"),
    path("chain/links/<int:pk>/cite/", cite.link_cite, name="link-cite"),
]
