/* podcaster — progressive enhancement only: every page works without this file.
   Copy buttons; chapter links that seek the player instead of opening the audio file;
   skip and speed controls; one player at a time. */
(function () {
  "use strict";

  function copyText(field) {
    var text = field.value;
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      field.focus();
      field.select();
      // The older API still works where the asynchronous clipboard is not offered (plain http).
      if (document.execCommand && document.execCommand("copy")) {
        resolve();
      } else {
        reject(new Error("copy refused"));
      }
    });
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) {
      return;
    }
    var status = button.closest(".copy-field").querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(field).then(
        function () {
          status.textContent = button.getAttribute("data-copied");
        },
        function () {
          field.focus();
          field.select();
          status.textContent = button.getAttribute("data-failed");
        }
      );
    });
  });

  // Only one player sounds at a time (the embed list has many).
  document.addEventListener(
    "play",
    function (event) {
      document.querySelectorAll("audio").forEach(function (other) {
        if (other !== event.target) {
          other.pause();
        }
      });
    },
    true
  );

  var audio = document.querySelector("audio[data-player]");
  if (!audio) {
    return;
  }

  // With preload="none" there is no duration yet: remember the position and apply it once known.
  function seek(seconds, play) {
    if (audio.readyState >= 1) {
      audio.currentTime = seconds;
    } else {
      audio.addEventListener(
        "loadedmetadata",
        function () {
          audio.currentTime = seconds;
        },
        { once: true }
      );
      if (!play) {
        audio.preload = "metadata";
        audio.load();
      }
    }
    if (play) {
      var started = audio.play();
      if (started && started.catch) {
        started.catch(function () {});
      }
    }
  }

  var links = Array.prototype.slice.call(document.querySelectorAll("a[data-seek]"));
  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) {
        return;  // a new tab or window still gets the audio file at that time
      }
      event.preventDefault();
      seek(parseFloat(link.getAttribute("data-seek")), true);
      audio.focus();
    });
  });

  // Mark the chapter being heard.
  var starts = links.map(function (link) {
    return parseFloat(link.getAttribute("data-seek"));
  });
  var current = -1;
  audio.addEventListener("timeupdate", function () {
    var index = -1;
    for (var i = 0; i < starts.length; i += 1) {
      if (audio.currentTime + 0.25 >= starts[i]) {
        index = i;
      }
    }
    if (index !== current) {
      if (current >= 0) {
        links[current].removeAttribute("aria-current");
      }
      if (index >= 0) {
        links[index].setAttribute("aria-current", "true");
      }
      current = index;
    }
  });

  // A shared link to "…/#t=754" starts there.
  var match = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
  if (match) {
    seek(parseFloat(match[1]), false);
  }

  var tools = document.querySelector("[data-player-tools]");
  if (tools) {
    tools.hidden = false;
    tools.querySelectorAll("[data-skip]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = Math.max(0, audio.currentTime + parseFloat(button.getAttribute("data-skip")));
        if (audio.duration) {
          target = Math.min(target, audio.duration);
        }
        seek(target, false);
      });
    });
    var speed = tools.querySelector("[data-speed]");
    if (speed) {
      speed.addEventListener("change", function () {
        audio.playbackRate = parseFloat(speed.value);
      });
      audio.addEventListener("play", function () {
        audio.playbackRate = parseFloat(speed.value);
      });
    }
  }
})();
