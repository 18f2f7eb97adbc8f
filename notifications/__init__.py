"""Who gets told what and when: recipients, reminder rules, rendering and mail transports."""
