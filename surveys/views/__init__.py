"""The surveys app's pages."""
