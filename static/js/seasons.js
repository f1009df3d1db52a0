/*
 * emopic seasons: the form's square crop editor and direction guess, and the result page's reveals.
 *
 *   [data-seasons-form]    crop editor over the capture component's photo, /api/seasons/guess preselection
 *   [data-seasons-reveal]  "scratch" (canvas, destination-out brush), "hover" (sharp circle over a blur),
 *                          "scroll" (sticky stage, the result wipes in with the page's scroll)
 *   [data-compare]         before/after slider (a range input drives --pos)
 *
 * Plain JavaScript, no libraries. The capture component (capture.js) is watched from outside: its preview
 * and still <img> get a src when a photo is chosen or taken, and lose it when it is removed.
 */
(() => {
  "use strict";

  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
  const MIN_CROP = 64; // pixels of the original; smaller squares are not worth translating
  const GUESS_SIDE = 512; // the guess only needs a thumbnail

  /* ---------------- form: crop editor ---------------- */

  class CropEditor {
    constructor(form) {
      this.form = form;
      this.el = form.querySelector("[data-seasons-crop]");
      this.box = form.querySelector("[data-crop-box]");
      this.note = form.querySelector("[data-crop-note]");
      this.readout = form.querySelector("[data-crop-readout]");
      this.inputs = {
        x: form.querySelector("[data-crop-x]"),
        y: form.querySelector("[data-crop-y]"),
        size: form.querySelector("[data-crop-size]"),
      };
      this.image = null;
      this.nat = { w: 0, h: 0 };
      this.crop = { x: 0, y: 0, size: 0 };
      this.drag = null;
      this.resizeObserver = new ResizeObserver(() => this.place());

      this.box.addEventListener("pointerdown", (event) => this.onPointerDown(event));
      this.box.addEventListener("pointermove", (event) => this.onPointerMove(event));
      this.box.addEventListener("pointerup", (event) => this.onPointerUp(event));
      this.box.addEventListener("pointercancel", (event) => this.onPointerUp(event));
      this.box.addEventListener("keydown", (event) => this.onKey(event));
    }

    /* A new photo (or none): the default is the largest centred square. */
    show(image) {
      this.image = image;
      const stage = image.parentElement;
      this.resizeObserver.disconnect();
      stage.append(this.el);
      this.resizeObserver.observe(stage);
      this.nat = { w: image.naturalWidth, h: image.naturalHeight };
      const side = Math.min(this.nat.w, this.nat.h);
      this.crop = { x: Math.floor((this.nat.w - side) / 2), y: Math.floor((this.nat.h - side) / 2), size: side };
      this.el.hidden = false;
      this.note.hidden = false;
      for (const input of Object.values(this.inputs)) input.disabled = false;
      this.place();
      this.update();
    }

    hide() {
      this.image = null;
      this.resizeObserver.disconnect();
      this.el.hidden = true;
      this.note.hidden = true;
      for (const input of Object.values(this.inputs)) {
        input.value = "";
        input.disabled = true;
      }
    }

    /* Lay the editor exactly over the picture as object-fit: contain draws it inside the stage. */
    place() {
      if (!this.image) return;
      const stage = this.image.parentElement;
      const width = stage.clientWidth;
      const height = stage.clientHeight;
      const scale = Math.min(width / this.nat.w, height / this.nat.h);
      const shownW = this.nat.w * scale;
      const shownH = this.nat.h * scale;
      Object.assign(this.el.style, {
        left: `${(width - shownW) / 2}px`,
        top: `${(height - shownH) / 2}px`,
        width: `${shownW}px`,
        height: `${shownH}px`,
      });
    }

    update() {
      const { x, y, size } = this.crop;
      Object.assign(this.box.style, {
        left: `${(x / this.nat.w) * 100}%`,
        top: `${(y / this.nat.h) * 100}%`,
        width: `${(size / this.nat.w) * 100}%`,
        height: `${(size / this.nat.h) * 100}%`,
      });
      this.inputs.x.value = String(x);
      this.inputs.y.value = String(y);
      this.inputs.size.value = String(size);
      this.readout.textContent = `Square: ${size} × ${size} px, from (${x}, ${y}).`;
    }

    set(x, y, size) {
      const maxSide = Math.min(this.nat.w, this.nat.h);
      size = Math.round(clamp(size, Math.min(MIN_CROP, maxSide), maxSide));
      x = Math.round(clamp(x, 0, this.nat.w - size));
      y = Math.round(clamp(y, 0, this.nat.h - size));
      this.crop = { x, y, size };
      this.update();
    }

    /* Pointer position in the original photo's pixels. */
    toNatural(event) {
      const rect = this.el.getBoundingClientRect();
      return {
        x: ((event.clientX - rect.left) / rect.width) * this.nat.w,
        y: ((event.clientY - rect.top) / rect.height) * this.nat.h,
      };
    }

    onPointerDown(event) {
      if (event.button > 0) return;
      event.preventDefault();
      this.box.setPointerCapture(event.pointerId);
      const handle = event.target.closest("[data-crop-handle]");
      const start = this.toNatural(event);
      const { x, y, size } = this.crop;
      if (handle) {
        const corner = handle.dataset.cropHandle;
        const east = corner.includes("e");
        const south = corner.includes("s");
        this.drag = {
          id: event.pointerId,
          kind: "resize",
          dirX: east ? 1 : -1,
          dirY: south ? 1 : -1,
          anchorX: east ? x : x + size,
          anchorY: south ? y : y + size,
        };
      } else {
        this.drag = { id: event.pointerId, kind: "move", start, origin: { x, y } };
      }
      this.el.classList.add("is-dragging");
    }

    onPointerMove(event) {
      const drag = this.drag;
      if (!drag || drag.id !== event.pointerId) return;
      const point = this.toNatural(event);
      if (drag.kind === "move") {
        this.set(drag.origin.x + point.x - drag.start.x, drag.origin.y + point.y - drag.start.y, this.crop.size);
        return;
      }
      // Resize about the opposite corner: the square follows the farther of the two axes, within the photo.
      const room = Math.min(
        drag.dirX > 0 ? this.nat.w - drag.anchorX : drag.anchorX,
        drag.dirY > 0 ? this.nat.h - drag.anchorY : drag.anchorY,
      );
      const wanted = Math.max((point.x - drag.anchorX) * drag.dirX, (point.y - drag.anchorY) * drag.dirY);
      const size = Math.round(clamp(wanted, Math.min(MIN_CROP, room), room));
      const x = drag.dirX > 0 ? drag.anchorX : drag.anchorX - size;
      const y = drag.dirY > 0 ? drag.anchorY : drag.anchorY - size;
      this.set(x, y, size);
    }

    onPointerUp(event) {
      if (!this.drag || this.drag.id !== event.pointerId) return;
      this.drag = null;
      this.el.classList.remove("is-dragging");
    }

    onKey(event) {
      const step = Math.max(1, Math.round(Math.min(this.nat.w, this.nat.h) * (event.shiftKey ? 0.1 : 0.02)));
      const { x, y, size } = this.crop;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[event.key]) {
        this.set(x + moves[event.key][0], y + moves[event.key][1], size);
      } else if (event.key === "+" || event.key === "=" || event.key === "-" || event.key === "_") {
        const grow = event.key === "+" || event.key === "=" ? step : -step;
        // Resize about the centre, then keep it inside the photo.
        this.set(x - grow / 2, y - grow / 2, size + grow);
      } else {
        return;
      }
      event.preventDefault();
    }
  }

  /* ---------------- form: direction guess ---------------- */

  class DirectionChooser {
    constructor(form) {
      this.form = form;
      this.url = form.dataset.guessUrl;
      this.note = form.querySelector("[data-guess-note]");
      this.radios = Array.from(form.querySelectorAll('input[name="direction"]'));
      this.userChose = false;
      this.request = 0;
      for (const radio of this.radios) radio.addEventListener("change", () => (this.userChose = true));
    }

    clear() {
      this.request += 1;
      this.note.textContent = "";
      this.note.classList.remove("is-busy");
      for (const badge of this.form.querySelectorAll(".seasons-suggested")) badge.hidden = true;
    }

    async guess(image) {
      const request = ++this.request;
      this.note.classList.add("is-busy");
      this.note.textContent = "Looking at your photo…";
      try {
        const blob = await thumbnail(image);
        const body = new FormData();
        body.append("image", blob, "thumbnail.jpg");
        const response = await fetch(this.url, { method: "POST", body, credentials: "same-origin" });
        if (!response.ok) throw new Error(`guess answered ${response.status}`);
        const answer = await response.json();
        if (request !== this.request) return;
        this.suggest(answer);
      } catch (error) {
        if (request !== this.request) return;
        this.note.classList.remove("is-busy");
        this.note.textContent = "Pick the direction that fits your photo.";
      }
    }

    suggest(answer) {
      this.note.classList.remove("is-busy");
      const radio = this.radios.find((r) => r.value === answer.suggested_direction);
      if (!radio) {
        this.note.textContent = "Pick the direction that fits your photo.";
        return;
      }
      for (const badge of this.form.querySelectorAll(".seasons-suggested")) badge.hidden = true;
      radio.closest("label").querySelector(".seasons-suggested").hidden = false;
      const label = radio.closest("label").querySelector(".seasons-direction-label").textContent.trim();
      if (!this.userChose) {
        radio.checked = true;
        this.note.textContent = `Looks like a ${answer.domain} photo, so we picked ${label}. Change it if you like.`;
      } else {
        this.note.textContent = `Looks like a ${answer.domain} photo: ${label} is suggested.`;
      }
    }
  }

  /* A small JPEG of what the <img> shows (EXIF orientation applied by the browser). */
  function thumbnail(image) {
    const scale = Math.min(1, GUESS_SIDE / Math.max(image.naturalWidth, image.naturalHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no thumbnail"))), "image/jpeg", 0.9),
    );
  }

  function initForm(form) {
    const crop = new CropEditor(form);
    const chooser = new DirectionChooser(form);
    const images = Array.from(form.querySelectorAll("[data-capture-preview], [data-capture-still]"));
    let current = null;

    const photoShown = () => images.find((img) => img.getAttribute("src") && !img.hidden) || null;

    function ready(image) {
      if (image !== current || !image.naturalWidth) return;
      if (crop.image === image && crop.src === image.src) return;
      crop.src = image.src;
      crop.show(image);
      chooser.guess(image);
    }

    function refresh() {
      const image = photoShown();
      if (image === current && (!image || crop.src === image.src)) return;
      current = image;
      if (!image) {
        crop.hide();
        crop.src = null;
        chooser.clear();
        return;
      }
      if (image.complete && image.naturalWidth) ready(image);
    }

    for (const image of images) {
      image.addEventListener("load", () => {
        current = photoShown();
        ready(image);
      });
      new MutationObserver(refresh).observe(image, { attributes: true, attributeFilter: ["src", "hidden"] });
    }
    refresh();
  }

  /* ---------------- result: scratch ---------------- */

  function initScratch(section) {
    const stage = section.querySelector("[data-scratch-stage]");
    const canvas = section.querySelector("[data-scratch-canvas]");
    const cover = section.querySelector("[data-scratch-cover]");
    const pill = section.querySelector("[data-reveal-pill]");
    const button = section.querySelector("[data-reveal-all]");
    const ctx = canvas.getContext("2d");
    let last = null;
    let pointer = null;

    function paintCover() {
      canvas.width = cover.naturalWidth || canvas.width;
      canvas.height = cover.naturalHeight || canvas.height;
      ctx.globalCompositeOperation = "source-over";
      ctx.drawImage(cover, 0, 0, canvas.width, canvas.height);
      stage.classList.add("is-ready");
      stage.classList.remove("is-revealed", "is-scratched");
      button.setAttribute("aria-pressed", "false");
    }

    function dab(x, y, radius) {
      const soft = ctx.createRadialGradient(x, y, 0, x, y, radius);
      soft.addColorStop(0, "rgba(0,0,0,1)");
      soft.addColorStop(0.55, "rgba(0,0,0,0.85)");
      soft.addColorStop(1, "rgba(0,0,0,0)");
      ctx.fillStyle = soft;
      ctx.beginPath();
      ctx.arc(x, y, radius, 0, Math.PI * 2);
      ctx.fill();
    }

    function scratch(from, to) {
      const radius = canvas.width * 0.07;
      ctx.globalCompositeOperation = "destination-out";
      const distance = Math.hypot(to.x - from.x, to.y - from.y);
      const steps = Math.max(1, Math.ceil(distance / (radius / 4)));
      for (let i = 1; i <= steps; i += 1) {
        dab(from.x + ((to.x - from.x) * i) / steps, from.y + ((to.y - from.y) * i) / steps, radius);
      }
      if (!stage.classList.contains("is-scratched")) stage.classList.add("is-scratched");
    }

    function toCanvas(event) {
      const rect = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - rect.left) / rect.width) * canvas.width,
        y: ((event.clientY - rect.top) / rect.height) * canvas.height,
      };
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (event.button > 0 || stage.classList.contains("is-revealed")) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      pointer = event.pointerId;
      last = toCanvas(event);
      scratch(last, last);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (event.pointerId !== pointer) return;
      const point = toCanvas(event);
      scratch(last, point);
      last = point;
    });
    const stop = (event) => {
      if (event.pointerId === pointer) pointer = null;
    };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);

    button.addEventListener("click", () => {
      if (stage.classList.contains("is-revealed")) {
        paintCover();
        return;
      }
      stage.classList.add("is-revealed", "is-scratched");
      button.setAttribute("aria-pressed", "true");
      window.setTimeout(() => {
        if (stage.classList.contains("is-revealed")) ctx.clearRect(0, 0, canvas.width, canvas.height);
      }, 450);
    });
    if (pill) pill.addEventListener("pointerdown", (event) => event.preventDefault());

    if (cover.complete && cover.naturalWidth) paintCover();
    else cover.addEventListener("load", paintCover, { once: true });
  }

  /* ---------------- result: hover ---------------- */

  function initHover(section) {
    const stage = section.querySelector("[data-hover-stage]");
    const button = section.querySelector("[data-show-all]");
    let settleTimer = 0;

    function aim(event) {
      const rect = stage.getBoundingClientRect();
      stage.style.setProperty("--x", `${event.clientX - rect.left}px`);
      stage.style.setProperty("--y", `${event.clientY - rect.top}px`);
      stage.style.setProperty("--r", `${Math.round(rect.width * (event.pointerType === "touch" ? 0.22 : 0.18))}px`);
    }

    function open(event) {
      // The circle grows with a transition, then follows the pointer without one.
      stage.classList.remove("is-tracking");
      aim(event);
      stage.classList.add("is-peeking");
      window.clearTimeout(settleTimer);
      settleTimer = window.setTimeout(() => stage.classList.add("is-tracking"), 180);
    }

    function close() {
      window.clearTimeout(settleTimer);
      stage.classList.remove("is-tracking", "is-peeking");
      stage.style.setProperty("--r", "0px");
    }

    stage.addEventListener("pointerenter", (event) => {
      if (event.pointerType === "mouse") open(event);
    });
    stage.addEventListener("pointerdown", (event) => {
      if (event.pointerType !== "mouse") {
        stage.setPointerCapture(event.pointerId);
        open(event);
      }
    });
    stage.addEventListener("pointermove", (event) => {
      if (!stage.classList.contains("is-peeking")) {
        if (event.pointerType === "mouse") open(event);
        return;
      }
      aim(event);
    });
    stage.addEventListener("pointerleave", (event) => {
      if (event.pointerType === "mouse") close();
    });
    stage.addEventListener("pointerup", (event) => {
      if (event.pointerType !== "mouse") close();
    });
    stage.addEventListener("pointercancel", close);

    button.addEventListener("click", () => {
      const all = !stage.classList.contains("is-all");
      stage.classList.toggle("is-all", all);
      button.setAttribute("aria-pressed", String(all));
    });
  }

  /* ---------------- result: scroll ---------------- */

  function initScroll(section) {
    const track = section.querySelector("[data-scroll-track]");
    const sticky = section.querySelector("[data-scroll-sticky]");
    const caption = section.querySelector("[data-scroll-caption]");
    const captionText = section.querySelector("[data-scroll-caption-text]");
    const waiting = captionText.textContent;
    let queued = false;

    function measure() {
      queued = false;
      const rect = track.getBoundingClientRect();
      const top = parseFloat(getComputedStyle(sticky).top) || 0;
      const travel = Math.max(1, rect.height - sticky.offsetHeight);
      const progress = clamp((top - rect.top) / travel, 0, 1);
      section.style.setProperty("--progress", progress.toFixed(4));
      const done = progress >= 0.999;
      caption.classList.toggle("is-done", done);
      captionText.textContent = done ? "All the way: here it is." : waiting;
    }

    const queue = () => {
      if (!queued) {
        queued = true;
        window.requestAnimationFrame(measure);
      }
    };
    window.addEventListener("scroll", queue, { passive: true });
    window.addEventListener("resize", queue);
    measure();
  }

  /* ---------------- result: before/after ---------------- */

  function initCompare(figure) {
    const stage = figure.querySelector("[data-compare-stage]");
    const range = figure.querySelector("[data-compare-range]");
    const show = () => {
      stage.style.setProperty("--pos", `${range.value}%`);
      range.setAttribute("aria-valuetext", `${range.value}% of the result shown`);
    };
    range.addEventListener("input", show);
    show();
  }

  /* ---------------- start ---------------- */

  const REVEALS = { scratch: initScratch, hover: initHover, scroll: initScroll };

  function init() {
    const run = (fn, element) => {
      try {
        fn(element);
      } catch (error) {
        // One broken behaviour must not take the rest of the page down.
        console.warn("emopic seasons: could not initialise", error);
      }
    };
    document.querySelectorAll("[data-seasons-form]").forEach((form) => run(initForm, form));
    document.querySelectorAll("[data-seasons-reveal]").forEach((section) => {
      const fn = REVEALS[section.dataset.seasonsReveal];
      if (fn) run(fn, section);
    });
    document.querySelectorAll("[data-compare]").forEach((figure) => run(initCompare, figure));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
