"""Dashboard pages: function views that read through selectors, call one service, and render."""
