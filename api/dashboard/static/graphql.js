// Queries and mutations over HTTP: POST /graphql with the bearer token.

/** The server refused the token (HTTP 401): wrong, revoked or expired. */
export class AuthError extends Error {}

/** The server could not be reached or answered something that is not GraphQL. */
export class NetworkError extends Error {}

/** The request reached GraphQL and came back with errors. */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((error) => error.message).join("; "));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code ?? null;
  }
}

export class GraphQL {
  constructor(token, endpoint = "/graphql") {
    this.token = token;
    this.endpoint = endpoint;
  }

  async request(query, variables = {}) {
    let response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          Authorization: `Bearer ${this.token}`,
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new NetworkError("the server did not answer");
    }
    if (response.status === 401) {
      const detail = await response
        .json()
        .then((body) => body.detail)
        .catch(() => null);
      throw new AuthError(detail || "the token was refused");
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new NetworkError(`the server answered HTTP ${response.status}, not GraphQL`);
    }
    if (body.errors?.length) throw new ApiError(body.errors);
    if (!response.ok) throw new NetworkError(`the server answered HTTP ${response.status}`);
    return body.data;
  }
}
