# SPDX-License-Identifier: BSD-2-Clause
# Headless Chromium for the tests that check web pages; source after common.sh.
#
# chromium_find          sets CHROME to the browser; returns 1 when there is none
#                        (the caller skips, naming scripts/deps.sh).
# chrome URL ARGS...     runs it headless, private profile in $T/chrome, no network
#                        chatter, a 10 s virtual-time budget for scripts and loads;
#                        ARGS e.g. --dump-dom or --screenshot=FILE. stderr in $T/chrome.err.
# chrome_pages_images DIR PAGE...
#                        serves DIR over HTTP on 127.0.0.1 (python3), loads each PAGE
#                        (a path under DIR) in an iframe of a checking page and prints
#                        one line per page: "PAGE LOADED/TOTAL" and, when an image did
#                        not load, " missing SRC,SRC...". Same-origin HTTP lets the
#                        checking page look into each page's images (complete, with a
#                        natural width), which file:// pages may not.

chromium_find() {
    CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
    [ -n "$CHROME" ]
}

chrome() {
    local url=$1
    shift
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --disable-dev-shm-usage \
        --user-data-dir="$T/chrome" --virtual-time-budget=10000 "$@" "$url" 2>>"$T/chrome.err"
}

chrome_pages_images() {
    local dir=$1 port i list="" pid out
    shift
    for p in "$@"; do list="$list\"$p\","; done
    cat >"$dir/_fsn_imgcheck.html" <<EOF
<!DOCTYPE html>
<html><body><pre id="result">pending</pre>
<script>
const pages = [${list%,}];
const out = [];
let i = 0;
function next() {
  if (i >= pages.length) {
    document.getElementById("result").textContent = out.join("\n") + "\nDONE";
    return;
  }
  const f = document.createElement("iframe");
  f.onload = () => {
    /* The load event waits for every image, so each is loaded or failed by now. */
    const imgs = Array.from(f.contentDocument.images);
    const bad = imgs.filter(im => !(im.complete && im.naturalWidth > 0))
                    .map(im => im.getAttribute("src"));
    out.push(pages[i] + " " + (imgs.length - bad.length) + "/" + imgs.length +
             (bad.length ? " missing " + bad.join(",") : ""));
    f.remove();
    i++;
    next();
  };
  f.src = pages[i];
  document.body.appendChild(f);
}
next();
</script></body></html>
EOF
    for i in 1 2 3 4 5; do
        port=$(free_port tcp) || return 1
        start_bg "$T/httpd.log" python3 -m http.server --bind 127.0.0.1 --directory "$dir" "$port"
        pid=$BG_PID
        if wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"; then break; fi
        stop_pid "$pid"
        pid=
    done
    [ -n "$pid" ] || return 1
    out=$(chrome "http://127.0.0.1:$port/_fsn_imgcheck.html" --virtual-time-budget=30000 --dump-dom)
    stop_pid "$pid"
    rm -f "$dir/_fsn_imgcheck.html"
    # The result block, entities decoded; DONE tells the script finished.
    printf '%s\n' "$out" | sed -n '/<pre id="result">/,/<\/pre>/p' |
        sed 's/.*<pre id="result">//; s/<\/pre>.*//; s/&amp;/\&/g' | grep -v '^$'
}
