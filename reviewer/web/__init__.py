"""The web app: the JSON API and the pages employees, coaches and admins use."""
