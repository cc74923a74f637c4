/* The studio's script: a small tus client for the new episode's audio, and a publish's live progress.
   Without it the pages still work: the upload form sends the whole file, the publish page reloads itself. */
"use strict";

(function () {
  var RETRIES = 8;

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function say(status, key, values) {
    var text = status.dataset[key] || "";
    Object.keys(values || {}).forEach(function (name) { text = text.replace("{" + name + "}", values[name]); });
    status.textContent = text;
  }

  async function refusal(response) {
    try {
      var data = await response.json();
      return data.error || response.statusText;
    } catch (error) {
      return response.status + " " + response.statusText;
    }
  }

  function base64(text) {
    return btoa(String.fromCharCode.apply(null, new TextEncoder().encode(text)));
  }

  async function offsetOf(location, headers) {
    var response = await fetch(location, { method: "HEAD", headers: headers, credentials: "same-origin" });
    if (!response.ok) { throw new Error(response.status + " " + response.statusText); }
    return parseInt(response.headers.get("Upload-Offset"), 10);
  }

  async function upload(form, file) {
    var bar = document.getElementById("upload-bar");
    var status = document.getElementById("upload-status");
    var chunk = parseInt(form.dataset.chunk, 10);
    var headers = { "Tus-Resumable": "1.0.0", "X-CSRFToken": form.dataset.csrf };
    document.getElementById("upload-progress").hidden = false;
    var created = await fetch(form.dataset.tus, {
      method: "POST",
      credentials: "same-origin",
      headers: Object.assign({ "Upload-Length": String(file.size), "Upload-Metadata": "filename " + base64(file.name) }, headers),
    });
    if (created.status !== 201) { throw new Error(await refusal(created)); }
    var location = created.headers.get("Location");
    var offset = 0;
    var failures = 0;
    var next = null;
    while (offset < file.size || next === null) {
      say(status, "sending", { percent: Math.floor((100 * offset) / file.size) });
      bar.value = Math.floor((100 * offset) / file.size);
      var response;
      try {
        response = await fetch(location, {
          method: "PATCH",
          credentials: "same-origin",
          headers: Object.assign({ "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) }, headers),
          body: file.slice(offset, offset + chunk),
        });
      } catch (error) {
        // The connection dropped: ask the server how much arrived, then go on from there.
        failures += 1;
        if (failures > RETRIES) { throw error; }
        say(status, "resuming");
        await wait(Math.min(500 * failures, 4000));
        try { offset = await offsetOf(location, headers); } catch (ignored) { /* try again */ }
        continue;
      }
      if (response.status === 409) { offset = await offsetOf(location, headers); continue; }
      if (response.status !== 204) { throw new Error(await refusal(response)); }
      failures = 0;
      offset = parseInt(response.headers.get("Upload-Offset"), 10);
      next = response.headers.get("Location");
      if (offset < file.size) { next = null; }
    }
    bar.value = 100;
    say(status, "probing");
    window.location.assign(next);
  }

  var form = document.getElementById("upload-form");
  if (form && window.fetch && window.Blob) {
    form.addEventListener("submit", function (event) {
      var input = document.getElementById("audio");
      if (!input.files || !input.files.length) { return; }
      event.preventDefault();
      form.querySelector("button[type=submit]").disabled = true;
      upload(form, input.files[0]).catch(function (error) {
        say(document.getElementById("upload-status"), "failed", { reason: error.message });
        form.querySelector("button[type=submit]").disabled = false;
      });
    });
  }

  var job = document.getElementById("publish-job");
  if (job && job.dataset.state === "running") {
    var state = document.getElementById("job-state");
    var poll = async function () {
      var data;
      try {
        var response = await fetch(job.dataset.status, { credentials: "same-origin", cache: "no-store" });
        data = await response.json();
      } catch (error) {
        setTimeout(poll, 2000);
        return;
      }
      var bar = document.getElementById("job-bar");
      bar.max = data.total_bytes || 1;
      bar.value = data.total_bytes ? data.sent_bytes : (data.state === "running" ? 0 : 1);
      var files = document.getElementById("job-files");
      files.textContent = files.dataset.template.replace("{done}", data.done_files).replace("{total}", data.total_files);
      var list = document.getElementById("job-messages");
      list.replaceChildren.apply(list, data.messages.map(function (line) {
        var item = document.createElement("li");
        item.textContent = line;
        return item;
      }));
      if (data.state === "running") { setTimeout(poll, 700); return; }
      job.dataset.state = data.state;
      state.textContent = state.dataset[data.state];
      if (data.error) {
        var shown = document.getElementById("job-error");
        shown.textContent = data.error;
        shown.hidden = false;
      }
    };
    setTimeout(poll, 300);
  }
})();
