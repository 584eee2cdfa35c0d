"""The web app: the JSON API and the pages employees, coaches, leaders and admins use."""
