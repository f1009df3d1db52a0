// idphoto result page: the cut-out sits on a CSS background, so a picked colour
// shows at once, before it is saved.
document.querySelectorAll("[data-picker]").forEach((picker) => {
  const preview = document.querySelector("[data-preview]");
  if (!preview) return;
  picker.addEventListener("input", () => {
    preview.style.backgroundColor = picker.value;
  });
});
