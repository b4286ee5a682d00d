// A small graphql-transport-ws client: one WebSocket to /graphql, many subscriptions,
// reconnecting with a growing pause when the connection is lost.

const PROTOCOL = "graphql-transport-ws";
const REJECTED = new Set([4401, 4403]);
const PAUSES = [1000, 2000, 4000, 8000, 15000];

export class Live {
  /**
   * @param {string} token the bearer token, sent in connection_init
   * @param {{onStatus: (state: string, detail: object) => void, onRejected: () => void}} hooks
   */
  constructor(token, hooks) {
    this.token = token;
    this.hooks = hooks;
    this.subscriptions = new Map();
    this.socket = null;
    this.acknowledged = false;
    this.stopped = false;
    this.attempt = 0;
    this.timer = null;
    this.everConnected = false;
    this.nextId = 1;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/graphql`;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.timer);
    this.acknowledged = false;
    this.hooks.onStatus("connecting", {});
    let socket;
    try {
      socket = new WebSocket(this.url(), PROTOCOL);
    } catch {
      this.lost();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.send({ type: "connection_init", payload: { Authorization: `Bearer ${this.token}` } });
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.acknowledged = false;
      if (this.stopped) return;
      if (REJECTED.has(event.code)) {
        this.stopped = true;
        this.hooks.onRejected();
        return;
      }
      this.lost();
    });
  }

  lost() {
    const pause = PAUSES[Math.min(this.attempt, PAUSES.length - 1)];
    this.attempt += 1;
    this.hooks.onStatus("lost", { retryIn: pause, attempt: this.attempt });
    this.timer = setTimeout(() => this.connect(), pause);
  }

  receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    switch (message.type) {
      case "connection_ack": {
        this.acknowledged = true;
        const reconnected = this.everConnected;
        this.everConnected = true;
        this.attempt = 0;
        for (const [id, subscription] of this.subscriptions) this.start(id, subscription);
        this.hooks.onStatus("connected", { reconnected });
        break;
      }
      case "ping":
        this.send({ type: "pong" });
        break;
      case "next":
        this.subscriptions.get(message.id)?.onNext(message.payload);
        break;
      case "error":
        this.subscriptions.get(message.id)?.onError(message.payload);
        this.subscriptions.delete(message.id);
        break;
      case "complete":
        this.subscriptions.delete(message.id);
        break;
      default:
        break;
    }
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  start(id, subscription) {
    this.send({
      id,
      type: "subscribe",
      payload: { query: subscription.query, variables: subscription.variables },
    });
  }

  /** Subscribe; returns a function that ends the subscription. */
  subscribe(query, variables, onNext, onError = () => {}) {
    const id = String(this.nextId++);
    const subscription = { query, variables, onNext, onError };
    this.subscriptions.set(id, subscription);
    if (this.acknowledged) this.start(id, subscription);
    return () => {
      if (this.subscriptions.delete(id) && this.acknowledged) {
        this.send({ id, type: "complete" });
      }
    };
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.subscriptions.clear();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "closed by the dashboard");
  }
}
