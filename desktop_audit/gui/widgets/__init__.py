"""Small reusable widgets (cards, chips, banners, dialogs)."""
