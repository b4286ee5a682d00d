"""The GraphQL API, organised by feature and composed in :mod:`api.graphql.schema`."""
