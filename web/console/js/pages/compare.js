// Compare two photos: the largest face of each (its box drawn), the score
// and the server's decision rule.
import { drawPhoto, field, h, messageBox, readPhoto } from '../ui.js';

export async function renderCompare(root, { api }) {
  const messages = messageBox();
  const a = field('First photo', h('input', { type: 'file', accept: 'image/*', required: true }));
  const b = field('Second photo', h('input', { type: 'file', accept: 'image/*', required: true }));
  const form = h('form', { class: 'panel', 'aria-label': 'Compare two photos' },
    h('div', { class: 'row' }, a.wrapper, b.wrapper, h('button', { type: 'submit' }, 'Compare')));
  const canvasA = h('canvas', { role: 'img', 'aria-label': 'The first photo, drawn', hidden: true });
  const canvasB = h('canvas', { role: 'img', 'aria-label': 'The second photo, drawn', hidden: true });
  const verdict = h('p', { class: 'verdict', 'aria-live': 'polite' });
  root.append(form, messages.element, verdict, h('div', { class: 'row' }, canvasA, canvasB));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      messages.info('Comparing…');
      const [ia, ib] = await Promise.all([readPhoto(a.input.files[0]), readPhoto(b.input.files[0])]);
      drawPhoto(canvasA, ia.bitmap, [], 420);
      drawPhoto(canvasB, ib.bitmap, [], 420);
      canvasA.hidden = canvasB.hidden = false;
      // The faces compared are the largest of each photo: their boxes, when the key may detect.
      const largest = (img) => api.post('/v1/detect', { image: img.base64, max_face_num: 1 }).then((d) => d.faces, () => []);
      const [r, facesA, facesB] = await Promise.all([
        api.post('/v1/compare', { image_a: ia.base64, image_b: ib.base64 }), largest(ia), largest(ib)]);
      drawPhoto(canvasA, ia.bitmap, facesA.map((f) => ({ rect: f.rect, points: f.landmarks })), 420);
      drawPhoto(canvasB, ib.bitmap, facesB.map((f) => ({ rect: f.rect, points: f.landmarks })), 420);
      messages.clear();
      verdict.className = r.is_match ? 'verdict-match' : 'verdict-nomatch';
      verdict.textContent = `${r.is_match ? 'Same person' : 'Not the same person'}: score ${r.score.toFixed(1)} ` +
        `(same person at ${r.match_score} or more), similarity ${r.similarity.toFixed(3)}.`;
    } catch (err) { verdict.textContent = ''; messages.error(err); }
  });
}
