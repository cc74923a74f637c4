/* The episode form's script: a live preview of the notes, rendered and sanitised by the server exactly as
   the site shows them, and the new season's fields shown only when "New season…" is chosen.
   Without it the form works the same: its "preview" button posts the form back, and nothing is saved. */
"use strict";

(function () {
  var DELAY = 400;

  function livePreview(box) {
    var notes = box.querySelector("textarea");
    var target = box.querySelector("#notes-preview");
    var timer = null;
    var sent = null;
    var latest = 0;

    async function refresh() {
      var text = notes.value;
      if (text === sent) { return; }
      sent = text;
      var asked = ++latest;
      var body = new URLSearchParams();
      body.set("notes", text);
      try {
        var response = await fetch(box.dataset.preview, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": box.dataset.csrf },
          body: body,
        });
        if (!response.ok) { throw new Error(response.status); }
        var html = await response.text();
        if (asked !== latest) { return; }  // an older answer arriving after a newer one
        // The server's sanitiser decided what stays; parsed inert, then moved in: nothing in it runs.
        var parsed = new DOMParser().parseFromString(html, "text/html");
        target.replaceChildren.apply(target, Array.from(parsed.body.childNodes));
      } catch (error) {
        sent = null;
      }
    }

    notes.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY);
    });
    box.classList.add("live");
    refresh();
  }

  function seasonChoice(select) {
    var fields = document.getElementById("new-season");
    function update() {
      fields.hidden = select.value !== select.dataset.newSeason;
    }
    select.addEventListener("change", update);
    update();
  }

  document.querySelectorAll(".notes[data-preview]").forEach(livePreview);
  var season = document.querySelector("select#season");
  if (season) { seasonChoice(season); }
})();
