"""The web pages: server-rendered GOV.UK Design System pages over the same commands as the CLI and the API."""
