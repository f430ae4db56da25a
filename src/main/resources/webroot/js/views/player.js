// The HLS player (hls.js) with a rendition picker and links to each rendition's own playlist.
import { h } from '../dom.js';
import { app } from '../state.js';

export function playerPanel(id) {
  const video = h('video', { class: 'video', controls: true, muted: true, playsinline: true, 'data-testid': 'video' });
  const picker = h('select', { 'data-testid': 'rendition-picker', disabled: true }, h('option', { value: '-1' }, 'Auto'));
  const status = h('p', { class: 'muted', 'data-testid': 'player-status' });
  const rungs = h('p', { class: 'muted small', 'data-testid': 'rendition-previews' });
  let hls = null;
  let url = null;
  picker.addEventListener('change', () => { if (hls) hls.currentLevel = Number(picker.value); });
  function stop() {
    if (hls) { hls.destroy(); hls = null; }
    url = null;
    video.removeAttribute('src');
    picker.replaceChildren(h('option', { value: '-1' }, 'Auto'));
    picker.disabled = true;
  }
  return {
    el: h('div', {}, video, h('label', { class: 'row' }, 'Rendition ', picker), status, rungs),
    update(s) {
      // Viewers watch the stream on its active CDN: the player does too (the built-in origin is the preview).
      const source = s.playbackUrl || s.previewUrl;
      const playable = (s.state === 'READY' || s.state === 'LIVE') && source;
      // Each rung's own playlist, to open one rendition without adaptive switching.
      const previews = playable ? (s.renditionPreviews || []) : [];
      rungs.replaceChildren(...(previews.length ? ['Single renditions: '] : []), ...previews.flatMap((r, i) =>
        [i ? ' · ' : '', h('a', { href: r.url, target: '_blank', rel: 'noopener' }, r.name)]));
      if (!playable) {
        if (url) stop();
        status.textContent = s.previewUrl ? '' : 'The preview starts when the transcoder is ready.';
        return;
      }
      if (url === source) return;
      stop();
      url = source;
      video.dataset.src = source;
      status.textContent = 'Loading preview…';
      if (window.Hls && Hls.isSupported()) {
        hls = new Hls({ liveDurationInfinity: true });
        hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => {
          picker.replaceChildren(h('option', { value: '-1' }, 'Auto'),
            ...data.levels.map((l, i) => h('option', { value: String(i) }, `${l.height}p · ${Math.round(l.bitrate / 1000)} kbps`)));
          picker.disabled = false;
          status.textContent = '';
          video.play().catch(() => { status.textContent = 'Press play to watch.'; });
        });
        hls.on(Hls.Events.ERROR, (_, data) => {
          if (data.fatal) {
            status.textContent = `Preview error: ${data.details}; retrying…`;
            const again = url;
            setTimeout(() => { if (url === again) { url = null; this.update(app.streams.get(id) || s); } }, 2000);
          }
        });
        hls.loadSource(source);
        hls.attachMedia(video);
      } else {
        video.src = source;
        video.play().catch(() => {});
      }
    },
    dispose: stop,
  };
}
