// Search by photo: the top persons of the chosen groups for each face, with
// scores, and the faces' boxes drawn on the photo.
import { drawPhoto, field, h, messageBox, readPhoto, table } from '../ui.js';
import { listAllGroups } from './groups.js';

const COLORS = ['#ffd400', '#00d1ff', '#ff5ad1', '#7dff5a', '#ff8a3d'];

export async function renderSearch(root, { api }) {
  const messages = messageBox();
  const groups = await listAllGroups(api);
  const boxes = groups.map((g, i) => {
    const input = h('input', { type: 'checkbox', name: 'group', value: g.group_id, id: `sg${i}`, checked: i === 0 });
    return { input, element: h('div', {}, input, ' ', h('label', { for: `sg${i}` }, g.group_id)) };
  });
  const photo = field('Photo to search', h('input', { type: 'file', accept: 'image/*', required: true }));
  const faces = field('Faces to search in the photo', h('input', { type: 'number', min: 1, max: 10, value: 1 }));
  const top = field('Persons per face', h('input', { type: 'number', min: 1, max: 100, value: 5 }));
  const form = h('form', { class: 'panel', 'aria-label': 'Search by photo' },
    h('fieldset', {}, h('legend', {}, 'Groups to search'), boxes.length ? boxes.map((b) => b.element) : h('p', {}, 'No group is visible to this key.')),
    h('div', { class: 'row' }, photo.wrapper, faces.wrapper, top.wrapper, h('button', { type: 'submit' }, 'Search')));
  const canvas = h('canvas', { role: 'img', 'aria-label': 'The photo searched, with the faces found', hidden: true });
  const results = h('div');
  root.append(form, messages.element, canvas, results);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const groupIds = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
    if (!groupIds.length) { messages.error({ code: 'MissingGroup', message: 'choose at least one group' }); return; }
    try {
      messages.info('Searching…');
      const img = await readPhoto(photo.input.files[0]);
      const r = await api.post('/v1/search', {
        group_ids: groupIds, image: img.base64, max_face_num: Number(faces.input.value) || 1,
        max_person_num: Number(top.input.value) || 5, need_person_info: true,
      });
      drawPhoto(canvas, img.bitmap, r.results.map((res, i) => {
        const best = res.candidates[0];
        return { rect: res.face_rect, color: COLORS[i % COLORS.length], label: best ? `${i + 1}: ${best.person_name || best.person_id} ${best.score.toFixed(1)}` : `${i + 1}: no candidate` };
      }));
      canvas.hidden = false;
      results.replaceChildren(...r.results.map((res, i) => table(
        `Face ${i + 1} (box ${res.face_rect.x},${res.face_rect.y} ${res.face_rect.width}x${res.face_rect.height})` +
          (res.ret_code ? `: refused by quality control (${res.ret_code})` : ''),
        ['Rank', 'Person', 'Name', 'Group', 'Score', 'Similarity'],
        res.candidates.map((c, rank) => [String(rank + 1), c.person_id, c.person_name, c.group_id, c.score.toFixed(1), c.similarity.toFixed(3)]))));
      const best = r.results[0] && r.results[0].candidates[0];
      messages.info(`${r.faces_in_photo} face${r.faces_in_photo === 1 ? '' : 's'} in the photo; ${r.face_num} faces searched. ` +
        (best ? `Best match: ${best.person_name || best.person_id} (score ${best.score.toFixed(1)}; 70 or more is a likely match).` : 'No candidate.'));
    } catch (err) { messages.error(err); }
  });
}
