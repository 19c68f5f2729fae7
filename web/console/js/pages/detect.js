// Detect faces: boxes, five landmarks, head pose and quality drawn on the
// photo; liveness (the replay-medium check) on request.
import { drawPhoto, field, h, messageBox, readPhoto, table } from '../ui.js';

const LEVELS = ['0 (rejected by every level)', '1 (low)', '2 (medium)', '3 (high)', '4 (very high)'];

export async function renderDetect(root, { api }) {
  const messages = messageBox();
  const photo = field('Photo', h('input', { type: 'file', accept: 'image/*', required: true }));
  const max = field('Faces at most', h('input', { type: 'number', min: 1, max: 120, value: 10 }));
  const quality = h('input', { type: 'checkbox', id: 'd-quality', checked: true });
  const live = h('input', { type: 'checkbox', id: 'd-live' });
  const form = h('form', { class: 'panel', 'aria-label': 'Detect faces' },
    h('div', { class: 'row' }, photo.wrapper, max.wrapper,
      h('div', {}, quality, ' ', h('label', { for: 'd-quality' }, 'Quality')),
      h('div', {}, live, ' ', h('label', { for: 'd-live' }, 'Liveness (largest face)')),
      h('button', { type: 'submit' }, 'Detect')));
  const canvas = h('canvas', { role: 'img', 'aria-label': 'The photo with faces, landmarks and quality drawn', hidden: true });
  const out = h('div');
  root.append(form, messages.element, canvas, out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      messages.info('Detecting…');
      const img = await readPhoto(photo.input.files[0]);
      const r = await api.post('/v1/detect', {
        image: img.base64, max_face_num: Number(max.input.value) || 10,
        need_quality_detection: quality.checked, need_face_attributes: true,
      });
      drawPhoto(canvas, img.bitmap, r.faces.map((f, i) => ({
        rect: f.rect, points: f.landmarks,
        label: `${i + 1}` + (quality.checked && f.quality ? ` q${f.quality.level}` : ''),
        color: quality.checked && f.quality && f.quality.level < 2 ? '#ff5a5a' : '#ffd400',
      })), 800);
      canvas.hidden = false;
      const rows = r.faces.map((f, i) => [String(i + 1), `${f.rect.x},${f.rect.y} ${f.rect.width}x${f.rect.height}`,
        `${f.yaw.toFixed(0)} / ${f.pitch.toFixed(0)} / ${f.roll.toFixed(0)}`,
        f.quality && quality.checked ? `${LEVELS[f.quality.level] || f.quality.level}; sharpness ${f.quality.sharpness}, brightness ${f.quality.brightness}` : '-']);
      const parts = [table(`${r.faces.length} face${r.faces.length === 1 ? '' : 's'} in ${r.image_width}x${r.image_height}`,
        ['Face', 'Box', 'Yaw / pitch / roll (degrees)', 'Quality level'], rows)];
      if (live.checked && r.faces.length) {
        const l = await api.post('/v1/liveness', { image: img.base64 });
        parts.push(h('p', {}, h('span', { class: `pill ${l.is_live ? 'good' : 'bad'}` }, l.is_live ? 'live' : 'not live'),
          ` score ${l.score.toFixed(1)} (live above 87)${l.reason ? `: ${l.reason}` : ''}`));
      }
      out.replaceChildren(...parts);
      messages.clear();
    } catch (err) { messages.error(err); }
  });
}
