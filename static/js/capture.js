/*
 * emopic photo input: behaviour of templates/components/capture.html.
 *
 * Every [data-capture] element gets an upload mode (file input, drag and drop, preview) and a
 * camera mode (getUserMedia, mirrored live preview, un-mirrored capture into a hidden input as a
 * JPEG data URL). Both post the same field name; only one of the two inputs is enabled at a time.
 * The enclosing form's submit buttons wait for a photo and show a busy label once sent.
 * Plain JavaScript, no libraries, no global ids: several components can share one page or form.
 */
(() => {
  "use strict";

  const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp"];
  const ACCEPTED_EXTENSIONS = /\.(jpe?g|png|webp)$/i;
  const JPEG_QUALITY = 0.92;
  const BUSY_LABEL = "Working… this takes a second";

  const TEXT = {
    empty: "No photo yet: upload one or use your camera.",
    emptyNoCamera: "No photo yet: choose one to upload.",
    emptyOptional: "Optional: upload a photo or use your camera.",
    wrongType: "That file isn't a JPEG, PNG or WebP image. Please choose a photo in one of those formats.",
    unreadable: "We couldn't open that image. It may be damaged; please try another photo.",
    tooBig: (size, max) => `That photo is ${formatSize(size)}; the limit is ${formatSize(max)}. Please choose a smaller one.`,
    fileReady: (name) => `Photo ready: ${name}.`,
    removed: "Photo removed.",
    asking: "Waiting for your camera… If your browser asks, choose Allow.",
    live: "Camera is on. Centre your face in the oval, then press Capture.",
    liveNoGuide: "Camera is on. Frame your shot, then press Capture.",
    captured: "Photo taken, and the camera is off. Happy with it? Send it, or press Retake.",
    notReady: "The camera isn't ready yet. Give it a second and press Capture again.",
    paused: "The camera was turned off while this page was in the background. Press Start camera to continue.",
    ended: "The camera stopped. Press Start camera to try again.",
    stopped: "Camera off.",
    stoppedWithFile: "Camera off. Your uploaded photo is still the one that will be sent.",
    needPhoto: "Please add a photo first: upload one or use your camera.",
    insecure:
      "Your browser only allows the camera on secure pages (https, or localhost on your own computer). " +
      "This page isn't one, so please upload a photo instead.",
    unsupported: "This browser can't share a camera with web pages. Please upload a photo instead.",
    denied:
      "Camera access is blocked. To use it, allow the camera for this site (look for the camera icon in " +
      "your browser's address bar or site settings), then press Start camera again. Or upload a photo instead.",
    noCamera: "We couldn't find a camera on this device. Please upload a photo instead.",
    busyCamera:
      "Your camera seems to be in use by another app or tab. Close it there, then press Start camera again.",
    failed: "The camera couldn't start. Please try again, or upload a photo instead.",
  };

  let nextId = 0;

  function formatSize(bytes) {
    if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
    return `${Math.max(1, Math.round(bytes / 1e3))} KB`;
  }

  function isAcceptedFile(file) {
    return ACCEPTED_TYPES.includes(file.type) || (!file.type && ACCEPTED_EXTENSIONS.test(file.name));
  }

  // What went wrong when getUserMedia failed, as one of: denied, noCamera, busyCamera, failed.
  // Shared with the composition coach (window.emopicCapture.cameraErrorKind), which words it its own way.
  function cameraErrorKind(error) {
    switch (error && error.name) {
      case "NotAllowedError":
      case "PermissionDeniedError":
      case "SecurityError":
        return "denied";
      case "NotFoundError":
      case "DevicesNotFoundError":
      case "OverconstrainedError":
        return "noCamera";
      case "NotReadableError":
      case "TrackStartError":
      case "AbortError":
        return "busyCamera";
      default:
        return "failed";
    }
  }

  function cameraErrorText(error) {
    return TEXT[cameraErrorKind(error)];
  }

  function dragHasFiles(event) {
    return Boolean(event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files"));
  }

  /* One per form: submit buttons wait for every required photo, then turn busy once sent. */
  class FormGuard {
    static for(form) {
      if (!form._emopicGuard) form._emopicGuard = new FormGuard(form);
      return form._emopicGuard;
    }

    constructor(form) {
      this.form = form;
      this.captures = new Set();
      this.busy = false;
      form.addEventListener("submit", (event) => this.onSubmit(event));
      // Coming back with the Back button restores the page from the cache exactly as it was left.
      window.addEventListener("pageshow", (event) => {
        if (event.persisted) this.reset();
      });
    }

    add(capture) {
      this.captures.add(capture);
      this.update();
    }

    submitButtons() {
      return Array.from(this.form.elements).filter(
        (el) => (el.type === "submit" || el.type === "image") && !el.closest("[data-capture]"),
      );
    }

    missing() {
      return Array.from(this.captures).find((capture) => !capture.optional && !capture.hasPhoto());
    }

    update() {
      if (this.busy) return;
      const ready = !this.missing();
      for (const button of this.submitButtons()) button.disabled = !ready;
    }

    onSubmit(event) {
      if (event.defaultPrevented) return;
      if (this.busy) {
        event.preventDefault();
        return;
      }
      const missing = this.missing();
      if (missing) {
        event.preventDefault();
        missing.say(TEXT.needPhoto, "error");
        missing.focusFirstControl();
        return;
      }
      for (const capture of this.captures) capture.beforeSubmit();
      this.busy = true;
      this.form.setAttribute("aria-busy", "true");
      const buttons = this.submitButtons();
      for (const button of buttons) {
        if (button.tagName === "BUTTON") {
          button.dataset.captureLabel = button.innerHTML;
          button.textContent = BUSY_LABEL;
        } else if (button.type === "submit") {
          button.dataset.captureLabel = button.value;
          button.value = BUSY_LABEL;
        }
        button.classList.add("is-busy");
        button.setAttribute("aria-disabled", "true");
      }
      // After this tick the post is already built: a disabled submitter would have dropped its own
      // name=value. A later listener that cancelled the submit (a script posting by itself) gets
      // the form back as it was.
      window.setTimeout(() => {
        if (event.defaultPrevented) {
          this.reset();
          return;
        }
        for (const button of buttons) button.disabled = true;
      }, 0);
    }

    reset() {
      this.busy = false;
      this.form.removeAttribute("aria-busy");
      for (const button of this.submitButtons()) {
        if (button.dataset.captureLabel !== undefined) {
          if (button.tagName === "BUTTON") button.innerHTML = button.dataset.captureLabel;
          else button.value = button.dataset.captureLabel;
          delete button.dataset.captureLabel;
        }
        button.classList.remove("is-busy");
        button.removeAttribute("aria-disabled");
      }
      for (const capture of this.captures) capture.afterReturn();
      this.update();
    }
  }

  class Capture {
    constructor(root) {
      this.root = root;
      this.uid = `capture-${++nextId}`;
      this.optional = root.hasAttribute("data-optional");
      this.maxBytes = Number(root.dataset.maxBytes) || 0;
      this.source = null; // "file" | "camera" | null: which input will be sent
      this.mode = "upload";
      this.cameraState = "idle"; // idle | starting | live | captured
      this.stream = null;
      this.cameraRequest = 0;
      this.objectUrl = null;

      const q = (selector) => root.querySelector(selector);
      this.el = {
        tabs: Array.from(root.querySelectorAll("[data-capture-tab]")),
        panels: Array.from(root.querySelectorAll("[data-capture-panel]")),
        file: q("[data-capture-file]"),
        uploadStage: q("[data-capture-upload-stage]"),
        uploadEmpty: q("[data-capture-upload-empty]"),
        preview: q("[data-capture-preview]"),
        fileBar: q("[data-capture-filebar]"),
        fileName: q("[data-capture-filename]"),
        change: q("[data-capture-change]"),
        remove: q("[data-capture-remove]"),
        cameraStage: q("[data-capture-camera-stage]"),
        cameraIdle: q("[data-capture-camera-idle]"),
        video: q("[data-capture-video]"),
        guide: q("[data-capture-guide]"),
        still: q("[data-capture-still]"),
        start: q("[data-capture-start]"),
        startLabel: q("[data-capture-start-label]"),
        snap: q("[data-capture-snap]"),
        stop: q("[data-capture-stop]"),
        retake: q("[data-capture-retake]"),
        data: q("[data-capture-data]"),
        status: q("[data-capture-status]"),
      };

      this.setUpTabs();
      this.setUpUpload();
      this.setUpCamera();

      const form = root.closest("form");
      this.guard = form ? FormGuard.for(form) : null;

      this.setCameraState("idle");
      this.restore();
      if (this.guard) this.guard.add(this);
      root.setAttribute("data-capture-ready", "");
    }

    /* ---- state shared by both modes ---- */

    hasPhoto() {
      return this.source !== null;
    }

    say(text, kind = "info") {
      const status = this.el.status;
      status.textContent = text;
      status.classList.toggle("is-error", kind === "error");
      status.classList.toggle("is-ok", kind === "ok");
    }

    idleText() {
      if (this.optional) return TEXT.emptyOptional;
      return this.cameraPossible() ? TEXT.empty : TEXT.emptyNoCamera;
    }

    cameraPossible() {
      return Boolean(window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    }

    markSource(source) {
      this.source = source;
      for (const tab of this.el.tabs) {
        tab.classList.toggle("has-photo", tab.dataset.captureTab === (source === "file" ? "upload" : source));
      }
      if (this.guard) this.guard.update();
    }

    focusFirstControl() {
      const tab = this.el.tabs.find((t) => t.getAttribute("aria-selected") === "true");
      (this.mode === "camera" ? this.el.start : tab || this.el.file).focus();
    }

    // Exactly one input carries the photo when the form is sent, and none when there is no photo.
    beforeSubmit() {
      this.stopCamera();
      if (this.source !== "file") this.el.file.value = "";
      if (this.source !== "camera") this.el.data.value = "";
      this.el.file.disabled = this.source !== "file";
      this.el.data.disabled = this.source !== "camera";
    }

    // Back from the result page, or a submit another script cancelled: the inputs work again.
    afterReturn() {
      this.el.file.disabled = this.source === "camera" && this.mode !== "upload";
      this.el.data.disabled = this.source !== "camera";
      if (this.cameraState === "live" || this.cameraState === "starting") this.setCameraState("idle");
    }

    // Form restoration (reload, some back navigations) can refill the inputs before we run.
    restore() {
      const file = this.el.file.files && this.el.file.files[0];
      if (file) {
        this.useFile(file);
      } else if (this.el.data.value.startsWith("data:image/")) {
        this.showStill(this.el.data.value);
        this.showMode("camera");
      } else {
        this.say(this.idleText());
        // A page can open on the camera tab (data-start-mode="camera"); the camera itself
        // still waits for the Start button, so nobody is filmed by surprise.
        if (this.root.dataset.startMode === "camera") this.showMode("camera");
      }
    }

    /* ---- tabs ---- */

    setUpTabs() {
      this.el.tabs.forEach((tab) => {
        const mode = tab.dataset.captureTab;
        const panel = this.panelFor(mode);
        tab.id = `${this.uid}-tab-${mode}`;
        panel.id = `${this.uid}-panel-${mode}`;
        tab.setAttribute("aria-controls", panel.id);
        panel.setAttribute("aria-labelledby", tab.id);
        tab.addEventListener("click", () => this.showMode(mode));
        tab.addEventListener("keydown", (event) => this.onTabKey(event));
      });
    }

    panelFor(mode) {
      return this.el.panels.find((panel) => panel.dataset.capturePanel === mode);
    }

    onTabKey(event) {
      const tabs = this.el.tabs;
      const index = tabs.indexOf(event.currentTarget);
      let next = null;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") next = tabs[(index + 1) % tabs.length];
      else if (event.key === "ArrowLeft" || event.key === "ArrowUp")
        next = tabs[(index - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      if (!next) return;
      event.preventDefault();
      this.showMode(next.dataset.captureTab);
      next.focus();
    }

    showMode(mode) {
      if (mode !== "upload" && mode !== "camera") return;
      this.mode = mode;
      for (const tab of this.el.tabs) {
        const selected = tab.dataset.captureTab === mode;
        tab.setAttribute("aria-selected", String(selected));
        tab.tabIndex = selected ? 0 : -1;
      }
      for (const panel of this.el.panels) panel.hidden = panel.dataset.capturePanel !== mode;
      if (mode === "upload") {
        // Leaving the camera turns it off; the file input must be usable to pick a file.
        this.stopCamera();
        this.el.file.disabled = false;
      } else if (!this.source || this.source === "file") {
        if (this.cameraState === "idle" && !this.cameraPossible()) this.say(this.cameraProblem(), "error");
      }
    }

    /* ---- upload ---- */

    setUpUpload() {
      const { file, change, remove, preview } = this.el;
      file.addEventListener("change", () => {
        const chosen = file.files && file.files[0];
        if (chosen) this.useFile(chosen);
        else if (this.source === "file") this.clearFile({ announce: true });
      });
      change.addEventListener("click", () => file.click());
      remove.addEventListener("click", () => {
        this.clearFile({ announce: true });
        file.focus();
      });
      preview.addEventListener("error", () => {
        if (!preview.getAttribute("src")) return;
        this.clearFile();
        this.say(TEXT.unreadable, "error");
      });

      // The whole component takes drops, so a near miss doesn't open the image in the tab instead.
      const root = this.root;
      let depth = 0;
      root.addEventListener("dragenter", (event) => {
        if (!dragHasFiles(event)) return;
        event.preventDefault();
        depth += 1;
        root.classList.add("is-dragover");
      });
      root.addEventListener("dragover", (event) => {
        if (!dragHasFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
      });
      root.addEventListener("dragleave", (event) => {
        if (!dragHasFiles(event)) return;
        depth = Math.max(0, depth - 1);
        if (depth === 0) root.classList.remove("is-dragover");
      });
      root.addEventListener("drop", (event) => {
        if (!dragHasFiles(event)) return;
        event.preventDefault();
        depth = 0;
        root.classList.remove("is-dragover");
        const dropped = event.dataTransfer.files[0];
        if (!dropped) return;
        this.showMode("upload");
        if (!this.checkFile(dropped)) return;
        try {
          const transfer = new DataTransfer();
          transfer.items.add(dropped);
          file.files = transfer.files;
        } catch (error) {
          this.say("This browser can't take dropped files here. Please use Choose a file instead.", "error");
          return;
        }
        this.useFile(dropped);
      });
    }

    checkFile(file) {
      if (!isAcceptedFile(file)) {
        this.say(TEXT.wrongType, "error");
        return false;
      }
      if (this.maxBytes && file.size > this.maxBytes) {
        this.say(TEXT.tooBig(file.size, this.maxBytes), "error");
        return false;
      }
      return true;
    }

    useFile(file) {
      if (!this.checkFile(file)) {
        this.clearFile();
        return;
      }
      // A chosen file replaces any camera photo.
      this.discardStill();
      this.stopCamera();
      this.setCameraState("idle");

      if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = URL.createObjectURL(file);
      const { preview, uploadEmpty, uploadStage, fileBar, fileName } = this.el;
      preview.src = this.objectUrl;
      preview.hidden = false;
      uploadEmpty.hidden = true;
      uploadStage.classList.add("has-image");
      fileName.replaceChildren();
      const strong = document.createElement("strong");
      strong.textContent = file.name;
      fileName.append(strong, ` · ${formatSize(file.size)}`);
      fileName.title = file.name;
      fileBar.hidden = false;
      this.el.file.disabled = false;
      this.markSource("file");
      this.say(TEXT.fileReady(file.name), "ok");
    }

    clearFile({ announce = false } = {}) {
      const { file, preview, uploadEmpty, uploadStage, fileBar, fileName } = this.el;
      file.value = "";
      preview.hidden = true;
      preview.removeAttribute("src");
      if (this.objectUrl) {
        URL.revokeObjectURL(this.objectUrl);
        this.objectUrl = null;
      }
      uploadEmpty.hidden = false;
      uploadStage.classList.remove("has-image");
      fileBar.hidden = true;
      fileName.replaceChildren();
      if (this.source === "file") {
        this.markSource(null);
        if (announce) this.say(`${TEXT.removed} ${this.idleText()}`);
      }
    }

    /* ---- camera ---- */

    setUpCamera() {
      const { start, snap, stop, retake } = this.el;
      start.addEventListener("click", () => this.startCamera());
      snap.addEventListener("click", () => this.snap());
      stop.addEventListener("click", () => {
        this.stopCamera();
        start.focus();
        this.say(this.source === "file" ? TEXT.stoppedWithFile : `${TEXT.stopped} ${this.idleText()}`);
      });
      retake.addEventListener("click", () => {
        this.discardStill(); // shows Start camera again, so focus has somewhere to go
        start.focus();
        this.startCamera();
      });
      // Don't keep the camera (and its light) on for a page nobody is looking at.
      document.addEventListener("visibilitychange", () => {
        if (document.hidden && this.stream) {
          this.stopCamera();
          this.say(TEXT.paused);
        }
      });
      window.addEventListener("pagehide", () => this.stopCamera());
    }

    cameraProblem() {
      if (!window.isSecureContext) return TEXT.insecure;
      return TEXT.unsupported;
    }

    setCameraState(state) {
      this.cameraState = state;
      this.root.dataset.cameraState = state;
      const { cameraIdle, video, guide, still, start, startLabel, snap, stop, retake, cameraStage } = this.el;
      const live = state === "live";
      cameraIdle.hidden = live || state === "captured";
      video.hidden = !live;
      if (guide) guide.hidden = !live;
      still.hidden = state !== "captured";
      cameraStage.classList.toggle("has-image", live || state === "captured");
      start.hidden = !(state === "idle" || state === "starting");
      // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
      start.setAttribute("aria-disabled", String(state === "starting"));
      startLabel.textContent = state === "starting" ? "Starting camera…" : "Start camera";
      snap.hidden = !live;
      snap.disabled = !live;
      stop.hidden = !live;
      retake.hidden = state !== "captured";
    }

    async startCamera() {
      if (this.cameraState === "starting" || this.cameraState === "live") return;
      if (!this.cameraPossible()) {
        this.say(this.cameraProblem(), "error");
        return;
      }
      const request = ++this.cameraRequest;
      const hadFocus = this.root.contains(document.activeElement);
      this.setCameraState("starting");
      this.say(TEXT.asking);
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: false,
          video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 960 } },
        });
      } catch (error) {
        if (request !== this.cameraRequest) return;
        this.setCameraState("idle");
        this.say(cameraErrorText(error), "error");
        if (hadFocus) this.el.start.focus();
        return;
      }
      // The visitor may have switched tabs or stopped while the permission prompt was open.
      if (request !== this.cameraRequest || this.mode !== "camera") {
        stream.getTracks().forEach((track) => track.stop());
        return;
      }
      this.stream = stream;
      const video = this.el.video;
      video.srcObject = stream;
      for (const track of stream.getVideoTracks()) {
        track.addEventListener("ended", () => {
          if (this.stream === stream) {
            this.stopCamera();
            this.say(TEXT.ended, "error");
          }
        });
      }
      try {
        await video.play();
      } catch (error) {
        if (this.stream !== stream) return; // stopped meanwhile
      }
      if (this.stream !== stream) return;
      this.setCameraState("live");
      this.say(this.el.guide ? TEXT.live : TEXT.liveNoGuide);
      if (hadFocus) this.el.snap.focus();
    }

    stopCamera() {
      this.cameraRequest += 1; // cancels a start still waiting for permission
      if (this.stream) {
        this.stream.getTracks().forEach((track) => track.stop());
        this.stream = null;
      }
      const video = this.el.video;
      if (video.srcObject) {
        video.pause();
        video.srcObject = null;
      }
      if (this.cameraState === "live" || this.cameraState === "starting") this.setCameraState("idle");
    }

    snap() {
      const video = this.el.video;
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!this.stream || !width || !height) {
        this.say(TEXT.notReady);
        return;
      }
      // Drawn as the camera sees it: the mirror is only in the live preview's CSS.
      const canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      canvas.getContext("2d").drawImage(video, 0, 0, width, height);
      const dataUrl = canvas.toDataURL("image/jpeg", JPEG_QUALITY);
      canvas.width = canvas.height = 0;

      this.stopCamera(); // right away: the light goes off and the battery is spared

      this.clearFile();
      this.el.file.disabled = true;
      this.el.data.value = dataUrl;
      this.el.data.disabled = false;
      this.showStill(dataUrl);
      this.root.classList.remove("is-flashing");
      void this.root.offsetWidth; // restart the flash animation
      this.root.classList.add("is-flashing");
      this.el.retake.focus();
    }

    showStill(dataUrl) {
      this.el.still.src = dataUrl;
      this.el.data.disabled = false;
      this.setCameraState("captured");
      this.markSource("camera");
      this.say(TEXT.captured, "ok");
    }

    discardStill() {
      const { still, data } = this.el;
      still.removeAttribute("src");
      data.value = "";
      data.disabled = true;
      if (this.cameraState === "captured") this.setCameraState("idle");
      if (this.source === "camera") this.markSource(null);
    }
  }

  function init(scope = document) {
    scope.querySelectorAll("[data-capture]:not([data-capture-ready])").forEach((root) => {
      try {
        new Capture(root);
      } catch (error) {
        // A broken component must not take the page's plain file input down with it.
        console.warn("emopic capture: could not initialise", error);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => init());
  else init();

  window.emopicCapture = { init, cameraErrorKind };
})();
