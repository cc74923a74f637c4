/* podcaster — progressive enhancement only: every page works without this file.
   Copy buttons; chapter and transcript links that seek the player instead of opening the audio
   file; the chapter and the transcript cue being heard marked; a search box for the transcript;
   episode lists as playlists; skip and speed controls; one player at a time. */
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

  // The transcript's search box: only the cues holding every word typed stay shown (case and
  // accents ignored), and a status says how many.
  function filterCues(box, cues) {
    var form = document.querySelector("[data-cue-filter]");
    if (!form) {
      return;
    }
    var input = form.querySelector("input");
    var count = form.querySelector("[data-cue-count]");
    var fold = function (text) {
      return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    };
    var texts = cues.map(function (cue) {
      return fold(cue.querySelector("p").textContent);
    });
    form.hidden = false;
    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      cues.forEach(function (cue, index) {
        var match = words.every(function (word) {
          return texts[index].indexOf(word) >= 0;
        });
        cue.hidden = !match;
        shown += match ? 1 : 0;
      });
      if (!words.length) {
        count.textContent = "";
      } else if (!shown) {
        count.textContent = count.getAttribute("data-no-match");
      } else {
        var pattern = shown === 1 ? "data-match-one" : "data-matches";
        count.textContent = count.getAttribute(pattern)
          .replace("{count}", shown).replace("{total}", cues.length);
      }
    });
  }

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
      // A cue keeps the focus and the page where they are: the next cue is one Tab away, the
      // text stays under the eyes. A chapter hands the keyboard to the player just above.
      if (!link.closest("[data-cues]")) {
        audio.focus();
      }
    });
  });

  // Mark the chapter being heard.
  var chapters = links.filter(function (link) {
    return !link.closest("[data-cues]");
  });
  var starts = chapters.map(function (link) {
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
        chapters[current].removeAttribute("aria-current");
      }
      if (index >= 0) {
        chapters[index].setAttribute("aria-current", "true");
      }
      current = index;
    }
  });

  // Follow the transcript: mark the cue being heard, and keep it in view inside its box
  // unless the listener has just scrolled it themselves.
  var box = document.querySelector("[data-cues]");
  if (box) {
    var cues = Array.prototype.slice.call(box.querySelectorAll("li[data-start]"));
    var spans = cues.map(function (cue) {
      return [parseFloat(cue.getAttribute("data-start")), parseFloat(cue.getAttribute("data-end"))];
    });
    var heard = -1;
    var touched = 0;
    ["wheel", "touchmove", "keydown"].forEach(function (name) {
      box.addEventListener(name, function () {
        touched = Date.now();
      }, { passive: true });
    });
    filterCues(box, cues);
    audio.addEventListener("timeupdate", function () {
      var now = audio.currentTime + 0.05;
      var index = -1;
      for (var i = 0; i < spans.length && spans[i][0] <= now; i += 1) {
        if (now < spans[i][1]) {
          index = i;
        }
      }
      if (index === heard) {
        return;
      }
      if (heard >= 0) {
        cues[heard].removeAttribute("aria-current");
      }
      heard = index;
      if (index < 0) {
        return;
      }
      var cue = cues[index];
      cue.setAttribute("aria-current", "true");
      var top = cue.offsetTop;
      var hidden = top < box.scrollTop || top + cue.offsetHeight > box.scrollTop + box.clientHeight;
      if (hidden && !cue.hidden && Date.now() - touched > 4000) {
        box.scrollTop = Math.max(0, top - box.clientHeight / 3);
      }
    });
  }

  // Playlists (the embed's episode list, the episode cards of the home and season pages): one player
  // for them all; a play link loads its episode there instead of opening the audio file, pressed again
  // it pauses; the episode playing is marked, and the next one in the page follows at the end.
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-playlist] [data-src]"));
  if (items.length) {
    var now = document.querySelector("[data-now]");
    var bar = document.querySelector("[data-list-player]");
    var choose = function (index) {
      var item = items[index];
      items.forEach(function (other) {
        other.removeAttribute("aria-current");
      });
      item.setAttribute("aria-current", "true");
      if (audio.getAttribute("src") !== item.getAttribute("data-src")) {
        audio.src = item.getAttribute("data-src");
      }
      if (now) {
        now.textContent = item.getAttribute("data-title");
      }
      if (bar) {
        bar.hidden = false;
      }
      var started = audio.play();
      if (started && started.catch) {
        started.catch(function () {});
      }
    };
    var mark = function () {
      items.forEach(function (item) {
        var playing = item.getAttribute("aria-current") === "true" && !audio.paused;
        item.classList.toggle("playing", playing);
      });
    };
    audio.addEventListener("play", mark);
    audio.addEventListener("pause", mark);
    items.forEach(function (item, index) {
      var link = item.querySelector("[data-play]");
      link.addEventListener("click", function (event) {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) {
          return;
        }
        event.preventDefault();
        if (item.getAttribute("aria-current") === "true" && !audio.paused) {
          audio.pause();
        } else {
          choose(index);
        }
      });
    });
    audio.addEventListener("ended", function () {
      var index = items.findIndex(function (item) {
        return item.getAttribute("aria-current") === "true";
      });
      if (index >= 0 && index + 1 < items.length) {
        choose(index + 1);
      }
    });
  }

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
