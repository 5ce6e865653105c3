"""The HTML pages: read an article with its facts highlighted, and every fact with the words behind it.

Each page handler runs GraphQL queries (``queries/*.graphql``) against the app's own ``/graphql`` endpoint,
exactly as a frontend would, and renders the answer with Jinja2 (``templates/``). The only JavaScript,
``static/viewer.js``, turns highlights into buttons that fill the fact panel; pages work without it.
"""
