/*
 * emopic composition coach: the live camera page (templates/composition/coach.html).
 *
 *   camera   getUserMedia, rear camera preferred; stopped on Stop, when the page is hidden, and on leaving
 *   socket   /ws/composition/?profile=<key> (protocol in apps/composition/consumers.py): small JPEG frames
 *            out, one in flight at a time; measures and guidance back; reconnects with a backoff
 *   overlay  a canvas over the video: thirds, target box, group box, skeletons, head-top/chin/feet lines
 *   photo    taken once by the coach when the framing holds ("ready"), or by the shutter at any time;
 *            posted as multipart to the shoot URL, then the result page opens
 *
 * Plain JavaScript, no libraries. Without it the page still offers the upload form below the coach.
 */
(() => {
  "use strict";

  const FRAME_SIDE = 320; // the long side of the frames sent: the coach needs proportions, not detail
  const FRAME_QUALITY = 0.7;
  const PHOTO_QUALITY = 0.92;
  const MIN_INTERVAL_MS = 100; // about 10 frames a second at most
  const ANSWER_TIMEOUT_MS = 3000; // no answer by then: the frame is presumed lost and another is sent
  const SLOW_DOWN_MS = 5000; // how long a slow_down request from the server is honoured
  const MAX_RETRIES = 6; // automatic reconnections before waiting for the Reconnect button
  const ARROWS = new Set(["up", "down", "left", "right", "rotate_left", "rotate_right", "back", "forward"]);

  const TEXT = {
    asking: "Waiting for your camera… If your browser asks, choose Allow.",
    connecting: "Camera on. Connecting to the coach…",
    live: "The coach is watching: follow the advice under the picture.",
    looking: "Looking for people…",
    noAdvice: "Looks good: keep still.",
    hold: "Hold it there…",
    autoTaken: "Photo taken — great framing",
    shutterTaken: "Photo taken",
    measuring: "Measuring your photo…",
    notReady: "The camera isn't ready yet. Give it a second and try again.",
    shootFailed: "The photo couldn't be sent. Check your connection and press Take the photo now again.",
    serverFailed: "Something went wrong on our side while measuring the photo. Please try again in a moment.",
    paused: "The coach stopped while this page was in the background. Press Start the coach to continue.",
    stopped: "Camera off. Press Start the coach to continue.",
    ended: "The camera stopped. Press Start the coach to try again.",
    lost: (seconds) => `Connection to the coach lost. Trying again in ${seconds} s…`,
    gaveUp: "The coach can't be reached. Check your connection, then press Reconnect.",
    // Close code 1011: the server failed (say, a service behind it is down), not the visitor's network.
    serverFault: (seconds) => `The coach has a problem on our side. Trying again in ${seconds} s…`,
    serverGaveUp: "The coach is down on our side. Please try again in a few minutes, or upload a photo below.",
    slow: "Slow connection",
    insecure:
      "Your browser only allows the camera on secure pages (https, or localhost on your own computer). " +
      "This page isn't one, so please analyse a photo instead (below).",
    unsupported: "This browser can't share a camera with web pages. Please analyse a photo instead (below).",
    denied:
      "Camera access is blocked. To use it, allow the camera for this site (look for the camera icon in " +
      "your browser's address bar or site settings), then press Start the coach again. Or analyse a photo below.",
    noCamera: "We couldn't find a camera on this device. Please analyse a photo instead (below).",
    busyCamera:
      "Your camera seems to be in use by another app or tab. Close it there, then press Start the coach again.",
    failed: "The camera couldn't start. Please try again, or analyse a photo instead (below).",
    profile: (name) => `Coaching towards “${name}”.`,
  };

  // The overlay follows the one drawn on the photo (apps/composition/pipeline/overlay.py): same bones,
  // colours and target box, so the live picture and the result read alike.
  const BONES = [
    [11, 12], [11, 13], [13, 15], [12, 14], [14, 16], [11, 23], [12, 24], [23, 24],
    [23, 25], [25, 27], [27, 29], [29, 31], [27, 31], [24, 26], [26, 28], [28, 30], [30, 32], [28, 32],
  ]; // prettier-ignore
  const JOINTS = [0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32];
  const HEAD_POINTS = [0, 2, 5, 7, 8]; // nose, eyes, ears
  const FOOT_POINTS = [27, 28, 29, 30, 31, 32]; // ankles, heels, toes
  const MIN_VISIBILITY = 0.5;

  const COLOURS = {
    people: ["#40c8ff", "#ff66b2", "#8ce65a", "#ffaa3c"],
    grid: "rgba(255, 255, 255, 0.35)",
    target: "#5aeba0",
    group: "rgba(255, 255, 255, 0.6)",
    shadow: "rgba(0, 0, 0, 0.6)",
    head: "#ffd640",
    chin: "#ff8c5a",
    feet: "#6edcff",
  };

  // capture.js (loaded by every page, before this file) tells the camera's failures apart.
  function cameraErrorText(error) {
    return TEXT[window.emopicCapture.cameraErrorKind(error)];
  }

  const number = (value) => {
    if (value === "" || value === null || value === undefined) return null;
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  };
  const percent = (value, digits = 0) => (value === null ? "—" : `${(value * 100).toFixed(digits)}%`);
  const degrees = (value) => (value === null ? "—" : `${value.toFixed(1)}°`);
  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
  const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  /* A landmark as [x, y, visibility] or {x, y, visibility}. */
  function point(mark) {
    if (!mark) return null;
    const [x, y, v] = Array.isArray(mark) ? mark : [mark.x, mark.y, mark.visibility];
    if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
    return { x, y, v: Number.isFinite(v) ? v : 1 };
  }

  class Coach {
    constructor(root) {
      this.root = root;
      const $ = (selector) => root.querySelector(selector);
      this.el = {
        profiles: $("[data-coach-profiles]"),
        radios: Array.from(root.querySelectorAll('[data-coach-profiles] input[name="profile"]')),
        stage: $("[data-coach-stage]"),
        idle: $("[data-coach-idle]"),
        video: $("[data-coach-video]"),
        overlay: $("[data-coach-overlay]"),
        connection: $("[data-coach-connection]"),
        toast: $("[data-coach-toast]"),
        start: $("[data-coach-start]"),
        startLabel: $("[data-coach-start-label]"),
        shutter: $("[data-coach-shutter]"),
        stop: $("[data-coach-stop]"),
        reconnect: $("[data-coach-reconnect]"),
        say: $("[data-coach-say]"),
        arrow: $("[data-coach-arrow]"),
        text: $("[data-coach-text]"),
        hold: $("[data-coach-hold]"),
        holdBar: $("[data-coach-hold-bar]"),
        more: $("[data-coach-more]"),
        announce: $("[data-coach-announce]"),
        stats: $("[data-coach-stats]"),
        frames: $("[data-coach-frames]"),
        latency: $("[data-coach-latency]"),
        status: $("[data-coach-status]"),
        measures: $("[data-coach-measures]"),
      };
      this.shootUrl = root.dataset.shootUrl;
      this.socketPath = root.dataset.socketPath || "/ws/composition/";
      this.state = "idle"; // idle | starting | running | shooting
      this.stream = null;
      this.cameraRequest = 0;
      this.mirrored = false;
      this.socket = null;
      this.retries = 0;
      this.seq = 0;
      this.inFlight = null; // {seq, sentAt}
      this.sentAt = new Map();
      this.lastSentAt = 0;
      this.lastShown = 0;
      this.analysed = 0;
      this.slowUntil = 0;
      this.slowInterval = MIN_INTERVAL_MS;
      this.timers = { send: 0, watchdog: 0, reconnect: 0, toast: 0 };
      this.analysis = null;
      this.autoTaken = false;
      this.announced = { code: null, candidate: null, count: 0 };
      this.frameCanvas = document.createElement("canvas");

      this.profile = this.readProfile();
      root.dataset.coachReady = "";
      this.bind();
      this.showTargets();
      this.setState("idle");
      if (!this.cameraPossible()) this.say(this.cameraProblem(), "error", { reveal: false });
    }

    /* ---- wiring ---- */

    bind() {
      const { start, stop, shutter, reconnect, radios, profiles, overlay } = this.el;
      start.addEventListener("click", () => this.start());
      stop.addEventListener("click", () => {
        this.stop();
        this.say(TEXT.stopped);
        start.focus();
      });
      shutter.addEventListener("click", () => this.shoot("shutter"));
      reconnect.addEventListener("click", () => {
        this.retries = 0;
        this.connect();
      });
      for (const radio of radios) radio.addEventListener("change", () => this.chooseProfile());
      // The GET form is for visitors without JavaScript; here a change applies at once.
      profiles.addEventListener("submit", (event) => event.preventDefault());

      document.addEventListener("visibilitychange", () => {
        if (document.hidden && (this.state === "running" || this.state === "starting")) {
          this.stop();
          this.say(TEXT.paused);
        }
      });
      window.addEventListener("pagehide", () => this.stop());
      // A phone turned sideways turns the camera's picture too.
      this.el.video.addEventListener("resize", () => this.fitStage());
      this.resizeObserver = new ResizeObserver(() => this.draw());
      this.resizeObserver.observe(overlay.parentElement);
    }

    cameraPossible() {
      return Boolean(window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    }

    cameraProblem() {
      return window.isSecureContext ? TEXT.unsupported : TEXT.insecure;
    }

    say(text, kind = "info", { reveal = kind === "error" } = {}) {
      const status = this.el.status;
      status.textContent = text;
      status.classList.toggle("is-error", kind === "error");
      status.classList.toggle("is-ok", kind === "ok");
      // A problem the visitor just ran into must be seen: on a phone it can sit under the fold.
      if (reveal) status.scrollIntoView({ block: "nearest", behavior: reducedMotion() ? "auto" : "smooth" });
    }

    toast(text) {
      const toast = this.el.toast;
      toast.textContent = text;
      toast.hidden = false;
      window.clearTimeout(this.timers.toast);
      this.timers.toast = window.setTimeout(() => (toast.hidden = true), 3500);
    }

    setState(state) {
      this.state = state;
      this.root.dataset.state = state;
      const { idle, video, overlay, start, startLabel, shutter, stop, say, stats, connection } = this.el;
      const on = state === "running" || state === "shooting";
      idle.hidden = on;
      video.hidden = !on;
      overlay.hidden = !on;
      say.hidden = !on;
      stats.hidden = !on;
      if (!on) {
        connection.hidden = true;
        this.el.reconnect.hidden = true;
        this.el.toast.hidden = true;
      }
      start.hidden = on;
      // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
      start.setAttribute("aria-disabled", String(state === "starting"));
      startLabel.textContent = state === "starting" ? "Starting the camera…" : "Start the coach";
      shutter.hidden = !on;
      shutter.disabled = state !== "running";
      stop.hidden = !on;
    }

    /* ---- profiles ---- */

    readProfile() {
      let radio = this.el.radios.find((r) => r.checked);
      if (!radio && this.el.radios.length) {
        // An unknown ?profile= in the address: the first look, and the upload form follows.
        radio = this.el.radios[0];
        radio.checked = true;
        document.querySelectorAll("[data-coach-profile-field]").forEach((input) => (input.value = radio.value));
        document.querySelectorAll("[data-coach-profile-name]").forEach((el) => (el.textContent = radio.dataset.name));
      }
      if (!radio) {
        return { key: "", name: "", head_ratio: null, leg_ratio: null, headroom: null, footroom: null };
      }
      const data = radio.dataset;
      return {
        key: radio.value,
        name: data.name,
        head_ratio: number(data.headRatio),
        leg_ratio: number(data.legRatio),
        headroom: number(data.headroom),
        footroom: number(data.footroom),
        body_shown: number(data.bodyShown),
      };
    }

    chooseProfile() {
      this.profile = this.readProfile();
      this.showTargets();
      // The upload form below and the address follow the choice, so a reload keeps it.
      document.querySelectorAll("[data-coach-profile-field]").forEach((input) => (input.value = this.profile.key));
      document.querySelectorAll("[data-coach-profile-name]").forEach((el) => (el.textContent = this.profile.name));
      const url = new URL(window.location.href);
      url.searchParams.set("profile", this.profile.key);
      window.history.replaceState(window.history.state, "", url);
      this.autoTaken = false;
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify({ type: "profile", profile: this.profile.key }));
      } else if (this.state === "running" && !this.socket) {
        this.retries = 0;
        this.connect();
      }
      this.draw();
    }

    showTargets() {
      const p = this.profile;
      this.setCell("head_ratio", "target", percent(p.head_ratio, 1));
      this.setCell("leg_ratio", "target", percent(p.leg_ratio));
      this.setCell("headroom", "target", percent(p.headroom));
      this.setCell("footroom", "target", percent(p.footroom));
      // A profile that wants the feet wants the whole body; one that cuts it says where.
      this.setCell("body_shown", "target", p.body_shown !== null ? percent(p.body_shown) : p.footroom !== null ? "100%" : "—");
    }

    setCell(measure, column, text) {
      const cell = this.el.measures.querySelector(`[data-measure="${measure}"] [data-${column}]`);
      if (cell) cell.textContent = text;
    }

    /* ---- camera ---- */

    async start() {
      if (this.state !== "idle") return;
      if (!this.cameraPossible()) {
        this.say(this.cameraProblem(), "error");
        return;
      }
      const request = ++this.cameraRequest;
      const hadFocus = this.root.contains(document.activeElement);
      this.setState("starting");
      this.say(TEXT.asking);
      let stream;
      try {
        stream = await this.openCamera();
      } catch (error) {
        if (request !== this.cameraRequest) return;
        this.setState("idle");
        this.say(cameraErrorText(error), "error");
        if (hadFocus) this.el.start.focus();
        return;
      }
      // Stopped, or the page hidden, while the permission prompt was open.
      if (request !== this.cameraRequest) {
        stream.getTracks().forEach((track) => track.stop());
        return;
      }
      this.stream = stream;
      const video = this.el.video;
      const [track] = stream.getVideoTracks();
      const facing = track && track.getSettings ? track.getSettings().facingMode : undefined;
      // A front camera is previewed as a mirror, as people expect; the rear camera never is. A camera that
      // doesn't say (most desktop webcams) is shown as it sees, so "pan left" and the picture agree.
      this.mirrored = facing === "user";
      this.el.stage.classList.toggle("is-mirrored", this.mirrored);
      if (track) {
        track.addEventListener("ended", () => {
          if (this.stream === stream) {
            this.stop();
            this.say(TEXT.ended, "error");
          }
        });
      }
      video.srcObject = stream;
      video.addEventListener("loadedmetadata", () => this.fitStage(), { once: true });
      try {
        await video.play();
      } catch (error) {
        if (this.stream !== stream) return;
      }
      if (this.stream !== stream) return;
      this.fitStage();
      this.analysis = null;
      this.autoTaken = false;
      this.analysed = 0;
      this.el.frames.textContent = "0";
      this.el.latency.textContent = "";
      this.announced = { code: null, candidate: null, count: 0 };
      this.showGuidance({ code: "looking", text: TEXT.looking, arrow: null }, [], null);
      this.setState("running");
      this.say(TEXT.connecting);
      if (hadFocus) this.el.shutter.focus();
      this.el.stage.scrollIntoView({ block: "start", behavior: reducedMotion() ? "auto" : "smooth" });
      this.retries = 0;
      this.connect();
    }

    async openCamera() {
      const size = { width: { ideal: 1920 }, height: { ideal: 1080 } };
      try {
        return await navigator.mediaDevices.getUserMedia({
          audio: false,
          video: { facingMode: { ideal: "environment" }, ...size },
        });
      } catch (error) {
        // Refused, or no camera at all: asking again without preferences would not help.
        if (["NotAllowedError", "PermissionDeniedError", "SecurityError", "NotFoundError"].includes(error.name)) {
          throw error;
        }
        return navigator.mediaDevices.getUserMedia({ audio: false, video: true });
      }
    }

    /* The stage takes the camera's shape (within the CSS limits), so the picture fills it. */
    fitStage() {
      const { videoWidth: width, videoHeight: height } = this.el.video;
      if (width && height) this.el.stage.style.setProperty("--coach-aspect", `${width} / ${height}`);
      this.draw();
    }

    stop() {
      this.cameraRequest += 1; // cancels a start still waiting for permission
      this.disconnect();
      if (this.stream) {
        this.stream.getTracks().forEach((track) => track.stop());
        this.stream = null;
      }
      const video = this.el.video;
      if (video.srcObject) {
        video.pause();
        video.srcObject = null;
      }
      this.analysis = null;
      this.clearOverlay();
      if (this.state !== "idle") this.setState("idle");
    }

    /* ---- socket ---- */

    socketUrl() {
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      const query = new URLSearchParams({ profile: this.profile.key });
      // A mirrored preview reverses left and right: the server gives its advice as seen on it.
      if (this.mirrored) query.set("mirrored", "1");
      return `${scheme}//${window.location.host}${this.socketPath}?${query}`;
    }

    connect() {
      window.clearTimeout(this.timers.reconnect);
      if (this.state !== "running") return;
      this.closeSocket();
      this.el.reconnect.hidden = true;
      this.setConnection("Connecting…", "busy");
      let socket;
      try {
        socket = new WebSocket(this.socketUrl());
      } catch (error) {
        this.socketGone({ code: 1006 });
        return;
      }
      this.socket = socket;
      this.fatal = false;
      socket.addEventListener("open", () => {
        if (this.socket !== socket) return;
        this.setConnection(this.liveText(), "live");
        this.say(TEXT.live);
        this.inFlight = null;
        this.scheduleFrame(0);
      });
      socket.addEventListener("message", (event) => {
        if (this.socket !== socket || typeof event.data !== "string") return;
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        this.onMessage(message);
      });
      socket.addEventListener("close", (event) => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.socketGone(event);
      });
    }

    closeSocket() {
      const socket = this.socket;
      this.socket = null;
      if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
      this.clearFrameTimers();
      this.inFlight = null;
    }

    disconnect() {
      window.clearTimeout(this.timers.reconnect);
      this.closeSocket();
    }

    socketGone(event) {
      this.clearFrameTimers();
      this.inFlight = null;
      if (this.state !== "running") return;
      this.el.reconnect.hidden = false;
      if (this.fatal || event.code === 4004) {
        // The server refused this socket (an unknown look): choosing another one reconnects.
        this.setConnection("Not connected", "error");
        return;
      }
      this.retries += 1;
      // The pill on the picture and the Reconnect button say it where the visitor looks: no scrolling away.
      const ourSide = event.code === 1011;
      if (this.retries > MAX_RETRIES) {
        this.setConnection("Not connected", "error");
        this.say(ourSide ? TEXT.serverGaveUp : TEXT.gaveUp, "error", { reveal: false });
        return;
      }
      const delay = Math.min(15000, 1000 * 2 ** (this.retries - 1));
      this.setConnection("Reconnecting…", "error");
      const seconds = Math.round(delay / 1000);
      this.say(ourSide ? TEXT.serverFault(seconds) : TEXT.lost(seconds), "error", { reveal: false });
      this.timers.reconnect = window.setTimeout(() => this.connect(), delay);
    }

    liveText() {
      return `Live · ${this.profile.name}`;
    }

    setConnection(text, kind) {
      const el = this.el.connection;
      el.hidden = false;
      el.textContent = text;
      el.dataset.kind = kind;
    }

    onMessage(message) {
      switch (message.type) {
        case "analysis":
          this.retries = 0; // the server works again: a later drop starts the backoff afresh
          this.answered(message.seq);
          this.onAnalysis(message);
          break;
        case "dropped":
          this.answered(message.seq);
          break;
        case "error":
          if (message.seq !== undefined) this.answered(message.seq);
          else if (message.code === "bad_frame") this.answered(this.inFlight && this.inFlight.seq);
          if (message.code === "unknown_profile") {
            this.fatal = true;
            this.say(message.message, "error");
          } else {
            this.toast(message.message || "That frame could not be used.");
          }
          break;
        case "slow_down": {
          const fps = Number(message.max_fps) || 5;
          this.slowInterval = Math.max(MIN_INTERVAL_MS, Math.round(2000 / fps));
          this.slowUntil = performance.now() + SLOW_DOWN_MS;
          break;
        }
        case "profile":
          if (message.name) this.say(TEXT.profile(message.name));
          if (this.el.connection.dataset.kind === "live") this.setConnection(this.liveText(), "live");
          break;
        default:
          break;
      }
    }

    /* ---- frame loop: exactly one frame in flight ---- */

    clearFrameTimers() {
      window.clearTimeout(this.timers.send);
      window.clearTimeout(this.timers.watchdog);
    }

    interval() {
      return performance.now() < this.slowUntil ? this.slowInterval : MIN_INTERVAL_MS;
    }

    scheduleFrame(delay) {
      window.clearTimeout(this.timers.send);
      this.timers.send = window.setTimeout(() => this.sendFrame(), Math.max(0, delay));
    }

    answered(seq) {
      const sentAt = this.sentAt.get(seq);
      if (sentAt !== undefined) {
        this.el.latency.textContent = ` · ${Math.round(performance.now() - sentAt)} ms`;
        // Forget this frame and any older one still listed.
        for (const key of this.sentAt.keys()) if (key <= seq) this.sentAt.delete(key);
      }
      if (!this.inFlight || seq !== this.inFlight.seq) return; // late: a newer frame is already out
      window.clearTimeout(this.timers.watchdog);
      this.inFlight = null;
      this.el.stage.classList.remove("is-slow");
      if (this.el.connection.dataset.kind === "slow") this.setConnection(this.liveText(), "live");
      this.scheduleFrame(this.interval() - (performance.now() - this.lastSentAt));
    }

    async sendFrame() {
      const socket = this.socket;
      if (this.state !== "running" || !socket || socket.readyState !== WebSocket.OPEN || this.inFlight) return;
      const video = this.el.video;
      if (video.readyState < 2 || !video.videoWidth) {
        this.scheduleFrame(MIN_INTERVAL_MS);
        return;
      }
      const scale = Math.min(1, FRAME_SIDE / Math.max(video.videoWidth, video.videoHeight));
      const canvas = this.frameCanvas;
      canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
      canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      const seq = ++this.seq;
      // Counted as in flight from here, so no second frame starts while this one is encoded.
      this.inFlight = { seq };
      let bytes;
      try {
        const blob = await new Promise((resolve, reject) =>
          canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("no frame"))), "image/jpeg", FRAME_QUALITY),
        );
        bytes = new Uint8Array(await blob.arrayBuffer());
      } catch (error) {
        if (this.inFlight && this.inFlight.seq === seq) this.inFlight = null;
        this.scheduleFrame(MIN_INTERVAL_MS);
        return;
      }
      if (this.socket !== socket || socket.readyState !== WebSocket.OPEN || this.state !== "running") {
        if (this.inFlight && this.inFlight.seq === seq) this.inFlight = null;
        return;
      }
      const packet = new Uint8Array(4 + bytes.length);
      new DataView(packet.buffer).setUint32(0, seq, false); // big-endian frame number
      packet.set(bytes, 4);
      socket.send(packet.buffer);
      const now = performance.now();
      this.lastSentAt = now;
      this.sentAt.set(seq, now);
      this.inFlight = { seq, sentAt: now };
      window.clearTimeout(this.timers.watchdog);
      this.timers.watchdog = window.setTimeout(() => this.noAnswer(seq), ANSWER_TIMEOUT_MS);
    }

    noAnswer(seq) {
      if (!this.inFlight || this.inFlight.seq !== seq) return;
      this.inFlight = null;
      this.el.stage.classList.add("is-slow");
      this.setConnection(TEXT.slow, "slow");
      this.sendFrame();
    }

    /* ---- answers ---- */

    onAnalysis(message) {
      if (this.state !== "running" && this.state !== "shooting") return;
      if (message.seq !== undefined && message.seq < this.lastShown) return; // an older answer, arriving late
      this.lastShown = message.seq || 0;
      this.analysis = message;
      this.analysed += 1;
      this.el.frames.textContent = String(this.analysed);
      this.root.dataset.frames = String(this.analysed);
      this.draw();
      this.showMeasures(message);
      if (this.state === "shooting") return;

      const guidance = Array.isArray(message.guidance) ? message.guidance : [];
      const people = Array.isArray(message.people) ? message.people : [];
      if (message.ready && !this.autoTaken) {
        this.autoTaken = true;
        this.shoot("auto");
        return;
      }
      if (message.in_tolerance) {
        const rest = guidance.filter((item) => item.code !== "hold");
        const progress = message.hold_needed ? (message.hold_frames || 0) / message.hold_needed : 0;
        this.showGuidance({ code: "hold", text: TEXT.hold, arrow: null }, rest, progress);
      } else if (guidance.length) {
        this.showGuidance(guidance[0], guidance.slice(1), null);
      } else if (!people.length) {
        this.showGuidance({ code: "looking", text: TEXT.looking, arrow: null }, [], null);
      } else {
        this.showGuidance({ code: "fine", text: TEXT.noAdvice, arrow: null }, [], null);
      }
    }

    /* holdProgress: 0..1 of the frames the server needs in tolerance before it says "ready", or null. */
    showGuidance(main, rest, holdProgress) {
      const { say, arrow, text, hold, holdBar, more } = this.el;
      text.textContent = main.text;
      say.dataset.code = main.code;
      say.classList.toggle("is-hold", main.code === "hold");
      say.classList.toggle("is-done", main.code === "taken");
      let icon = null;
      if (ARROWS.has(main.arrow)) icon = `coach-arrow-${main.arrow}`;
      else if (main.code === "hold" || main.code === "taken") icon = "coach-check";
      arrow.toggleAttribute("hidden", !icon); // an <svg> has no .hidden property
      if (icon) arrow.querySelector("use").setAttribute("href", `#${icon}`);
      hold.hidden = holdProgress === null;
      if (holdProgress !== null) holdBar.style.setProperty("--hold", String(clamp(holdProgress, 0, 1)));
      more.replaceChildren(
        ...rest.slice(0, 3).map((item) => {
          const li = document.createElement("li");
          li.textContent = item.text;
          return li;
        }),
      );
      this.announceIfChanged(main);
    }

    /* Screen readers hear the advice only when it changes, once it has held for two frames. */
    announceIfChanged(main) {
      const state = this.announced;
      if (main.code === state.candidate) state.count += 1;
      else {
        state.candidate = main.code;
        state.count = 1;
      }
      const settled = state.count >= 2 || main.code === "taken" || main.code === "hold";
      if (settled && main.code !== state.code) {
        state.code = main.code;
        this.el.announce.textContent = main.text;
      }
    }

    showMeasures(message) {
      const person = (message.people || [])[0] || null;
      const framing = message.framing || null;
      const get = (source, key) => (source ? number(source[key]) : null);
      this.setCell("head_ratio", "now", percent(get(person, "head_ratio"), 1));
      this.setCell("leg_ratio", "now", percent(get(person, "leg_ratio")));
      this.setCell("headroom", "now", percent(get(framing, "headroom")));
      const footroom = get(framing, "footroom");
      const feetOut = person && person.feet_in_frame === false;
      this.setCell("footroom", "now", footroom === null && feetOut ? "feet out" : percent(footroom));
      this.setCell("body_shown", "now", percent(get(framing, "body_shown")));
      this.setCell("tilt", "now", degrees(get(framing, "tilt_deg") ?? get(person, "tilt_deg")));
    }

    /* ---- overlay ---- */

    clearOverlay() {
      const canvas = this.el.overlay;
      canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    }

    /* Where the frame lies in the stage: object-fit: contain, and mirrored like the video when it is. */
    frameRect(frameW, frameH, stageW, stageH) {
      const scale = Math.min(stageW / frameW, stageH / frameH);
      const w = frameW * scale;
      const h = frameH * scale;
      return { x: (stageW - w) / 2, y: (stageH - h) / 2, w, h, scale };
    }

    draw() {
      const canvas = this.el.overlay;
      const stage = canvas.parentElement;
      const width = stage.clientWidth;
      const height = stage.clientHeight;
      if (!width || !height) return;
      const dpr = Math.min(window.devicePixelRatio || 1, 3);
      if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
        canvas.width = Math.round(width * dpr);
        canvas.height = Math.round(height * dpr);
      }
      const ctx = canvas.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, height);

      const video = this.el.video;
      const message = this.analysis;
      const size = message && Array.isArray(message.frame_size) ? message.frame_size : null;
      const frameW = (size && size[0]) || video.videoWidth;
      const frameH = (size && size[1]) || video.videoHeight;
      if (!frameW || !frameH || this.state === "idle") return;
      const rect = this.frameRect(frameW, frameH, width, height);
      const mirrored = this.mirrored;
      // Frame pixels → stage pixels; text is placed with these, never drawn through a flipped context.
      const X = (x) => rect.x + (mirrored ? frameW - x : x) * rect.scale;
      const Y = (y) => rect.y + y * rect.scale;
      const unit = clamp(rect.w / 360, 0.8, 1.6); // line widths and labels grow a little with the picture

      this.drawThirds(ctx, rect, unit);
      if (!message) return;
      const people = Array.isArray(message.people) ? message.people : [];
      const framing = message.framing || null;
      this.drawTarget(ctx, rect, message.target_box, Boolean(message.in_tolerance), unit, X, Y);
      if (framing && Array.isArray(framing.box)) this.drawGroup(ctx, framing.box, X, Y, unit);
      people.forEach((person, index) => this.drawPerson(ctx, person, index, X, Y, rect, unit));
    }

    drawThirds(ctx, rect, unit) {
      ctx.save();
      ctx.strokeStyle = COLOURS.grid;
      ctx.lineWidth = unit;
      ctx.beginPath();
      for (const f of [1 / 3, 2 / 3]) {
        ctx.moveTo(rect.x + rect.w * f, rect.y);
        ctx.lineTo(rect.x + rect.w * f, rect.y + rect.h);
        ctx.moveTo(rect.x, rect.y + rect.h * f);
        ctx.lineTo(rect.x + rect.w, rect.y + rect.h * f);
      }
      ctx.stroke();
      ctx.restore();
    }

    /* Where the profile wants the group: [x, y, w, h] in frame pixels, sent by the server with each answer
     * (the box apps/composition/pipeline/overlay.py draws on the photo). */
    drawTarget(ctx, rect, target, ok, unit, X, Y) {
      if (!Array.isArray(target) || target.length !== 4) return;
      const [tx, ty, tw, th] = target;
      const left = Math.min(X(tx), X(tx + tw));
      ctx.save();
      ctx.strokeStyle = COLOURS.shadow;
      ctx.lineWidth = (ok ? 5 : 4) * unit;
      ctx.strokeRect(left, Y(ty), tw * rect.scale, th * rect.scale);
      ctx.strokeStyle = COLOURS.target;
      ctx.lineWidth = (ok ? 3 : 2.2) * unit;
      // Solid once everything is within tolerance: the people are where the look wants them.
      ctx.setLineDash(ok ? [] : [9 * unit, 7 * unit]);
      ctx.strokeRect(left, Y(ty), tw * rect.scale, th * rect.scale);
      ctx.restore();
    }

    drawGroup(ctx, box, X, Y, unit) {
      const [bx, by, bw, bh] = box;
      ctx.save();
      ctx.strokeStyle = COLOURS.group;
      ctx.lineWidth = 1.4 * unit;
      ctx.strokeRect(Math.min(X(bx), X(bx + bw)), Y(by), bw * Math.abs(X(1) - X(0)), Y(by + bh) - Y(by));
      ctx.restore();
    }

    drawPerson(ctx, person, index, X, Y, rect, unit) {
      const marks = Array.isArray(person.landmarks) ? person.landmarks.map(point) : [];
      const seen = (i) => marks[i] && marks[i].v >= MIN_VISIBILITY;
      const colour = COLOURS.people[index % COLOURS.people.length];
      ctx.save();
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      // A dark halo under every bone keeps the skeleton readable on bright clothes and walls.
      for (const [stroke, width] of [
        [COLOURS.shadow, 4.6],
        [colour, 2.6],
      ]) {
        ctx.strokeStyle = stroke;
        ctx.lineWidth = width * unit;
        ctx.beginPath();
        for (const [a, b] of BONES) {
          if (!seen(a) || !seen(b)) continue;
          ctx.moveTo(X(marks[a].x), Y(marks[a].y));
          ctx.lineTo(X(marks[b].x), Y(marks[b].y));
        }
        ctx.stroke();
      }
      for (const i of JOINTS) {
        if (!seen(i)) continue;
        ctx.beginPath();
        ctx.arc(X(marks[i].x), Y(marks[i].y), 2.8 * unit, 0, Math.PI * 2);
        ctx.fillStyle = colour;
        ctx.fill();
        ctx.lineWidth = 1.2 * unit;
        ctx.strokeStyle = COLOURS.shadow;
        ctx.stroke();
      }
      ctx.restore();
      this.drawMeasureLines(ctx, person, marks, seen, X, Y, rect, unit);
    }

    /* Head top and chin across the head, feet across the feet; a dashed "feet" line on the bottom edge
     * when they are out of the picture. */
    drawMeasureLines(ctx, person, marks, seen, X, Y, rect, unit) {
      const headTop = number(person.head_top_y);
      const chin = number(person.chin_y);
      const feet = number(person.feet_y);
      const box = Array.isArray(person.box) ? person.box : [0, 0, 0, 0];
      const headXs = HEAD_POINTS.filter(seen).map((i) => marks[i].x).sort((a, b) => a - b);
      const headX = headXs.length ? headXs[Math.floor(headXs.length / 2)] : box[0] + box[2] / 2;
      const half = 0.55 * Math.max(headTop !== null && chin !== null ? chin - headTop : 0, 4);
      const footXs = FOOT_POINTS.filter(seen).map((i) => marks[i].x);
      const feetSpan = footXs.length
        ? [Math.min(...footXs) - 0.5 * half, Math.max(...footXs) + 0.5 * half]
        : [headX - half, headX + half];
      const line = (y, from, to, colour, text, dashed = false) => {
        const a = X(from);
        const b = X(to);
        const left = Math.max(rect.x, Math.min(a, b));
        const right = Math.min(rect.x + rect.w, Math.max(a, b));
        const yy = clamp(y, rect.y + unit, rect.y + rect.h - unit);
        ctx.save();
        ctx.lineCap = "round";
        ctx.strokeStyle = COLOURS.shadow;
        ctx.lineWidth = 4.6 * unit;
        ctx.beginPath();
        ctx.moveTo(left, yy);
        ctx.lineTo(right, yy);
        ctx.stroke();
        ctx.strokeStyle = colour;
        ctx.lineWidth = 2.6 * unit;
        if (dashed) ctx.setLineDash([5 * unit, 5 * unit]);
        ctx.stroke();
        ctx.restore();
        // The label goes on the side with more room.
        const onRight = rect.x + rect.w - right >= left - rect.x;
        this.label(ctx, text, onRight ? right + 4 * unit : left - 4 * unit, yy, colour, unit, rect, !onRight);
      };
      if (headTop !== null) {
        line(Y(headTop), headX - half, headX + half, COLOURS.head, headTop <= 0 ? "head cut" : "head top");
      }
      if (chin !== null) line(Y(chin), headX - half, headX + half, COLOURS.chin, "chin");
      if (feet !== null && person.feet_in_frame !== false) {
        line(Y(feet), feetSpan[0], feetSpan[1], COLOURS.feet, "feet");
      } else {
        line(rect.y + rect.h, box[0], box[0] + box[2], COLOURS.feet, "feet out", true);
      }
    }

    /* A small label with a dark backing, centred on ``y``, kept inside the picture. */
    label(ctx, text, x, y, colour, unit, rect, rightAligned = false) {
      ctx.save();
      const size = Math.round(11 * unit);
      ctx.font = `650 ${size}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
      const w = ctx.measureText(text).width + 8 * unit;
      const h = size + 6 * unit;
      const left = clamp(rightAligned ? x - w : x, rect.x + 2, rect.x + rect.w - w - 2);
      const top = clamp(y - h / 2, rect.y + 2, rect.y + rect.h - h - 2);
      ctx.fillStyle = "rgba(0, 0, 0, 0.62)";
      ctx.beginPath();
      if (ctx.roundRect) ctx.roundRect(left, top, w, h, 4 * unit);
      else ctx.rect(left, top, w, h);
      ctx.fill();
      ctx.fillStyle = colour;
      ctx.textBaseline = "middle";
      ctx.fillText(text, left + 4 * unit, top + h / 2 + 0.5);
      ctx.restore();
    }

    /* ---- the photo ---- */

    csrfToken() {
      const input = document.querySelector('input[name="csrfmiddlewaretoken"]');
      return input ? input.value : "";
    }

    async shoot(trigger) {
      if (this.state !== "running") return;
      const video = this.el.video;
      const { videoWidth: width, videoHeight: height } = video;
      if (!this.stream || !width || !height) {
        this.say(TEXT.notReady);
        return;
      }
      // The camera's own picture at full size: the mirror is only in the preview's CSS.
      const canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      canvas.getContext("2d").drawImage(video, 0, 0, width, height);
      this.setState("shooting");
      this.clearFrameTimers();
      this.flash();
      const taken = trigger === "auto" ? TEXT.autoTaken : TEXT.shutterTaken;
      this.showGuidance({ code: "taken", text: taken, arrow: null }, [], null);
      this.say(`${taken}. ${TEXT.measuring}`, "ok");
      this.el.shutter.classList.add("is-busy");

      let response;
      let answer = null;
      try {
        const blob = await new Promise((resolve, reject) =>
          canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("no photo"))), "image/jpeg", PHOTO_QUALITY),
        );
        canvas.width = canvas.height = 0;
        const body = new FormData();
        body.append("image", blob, "coach.jpg");
        body.append("profile", this.profile.key);
        body.append("trigger", trigger);
        body.append("csrfmiddlewaretoken", this.csrfToken());
        response = await fetch(this.shootUrl, {
          method: "POST",
          body,
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": this.csrfToken() },
        });
        answer = await response.json().catch(() => null);
      } catch (error) {
        response = null;
      }
      this.el.shutter.classList.remove("is-busy");
      if (response && response.status === 201 && answer && answer.url) {
        this.stop();
        this.say(`${taken}. Opening it…`, "ok");
        window.location.assign(answer.url);
        return;
      }
      let message = TEXT.shootFailed;
      if (answer && answer.error && answer.error.message) message = answer.error.message;
      else if (response && response.status >= 500) message = TEXT.serverFailed;
      if (this.state !== "shooting") return; // stopped meanwhile
      this.say(message, "error");
      this.setState("running");
      // The coach goes on (the shutter still works; the automatic photo was its one try).
      this.inFlight = null;
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.scheduleFrame(0);
      else {
        this.retries = 0;
        this.connect(); // the socket closed while the photo was on its way
      }
    }

    flash() {
      const stage = this.el.stage;
      stage.classList.remove("is-flashing");
      void stage.offsetWidth; // restart the animation
      stage.classList.add("is-flashing");
    }
  }

  function init() {
    document.querySelectorAll("[data-coach]:not([data-coach-ready])").forEach((root) => {
      try {
        new Coach(root);
      } catch (error) {
        // A broken coach must not take the upload form below down with it.
        console.warn("emopic coach: could not initialise", error);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
