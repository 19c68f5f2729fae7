// Persons of a group: find by name or ID, add with a photo (file or camera),
// faces with thumbnails (the crops the gallery stored at enrolment,
// face_crops.js), add and delete faces, delete a person.
import { seg } from '../api.js';
import { faceThumb } from '../face_crops.js';
import { cameraCapture, drawPhoto, field, h, messageBox, readPhoto, table } from '../ui.js';
import { groupSelect } from './groups.js';

const SHOWN = 200;  // rows rendered at once; the filter narrows the rest

async function listAllPersons(api, groupId) {
  const persons = [];
  for (let offset = 0; ; offset += 1000) {
    const r = await api.get(`/v1/groups/${seg(groupId)}/persons`, { offset, limit: 1000 });
    persons.push(...r.persons);
    if (r.persons.length < 1000 || persons.length >= r.person_num) return persons;
  }
}

export async function renderPersons(root, { api, params, go, onLeave }) {
  const messages = messageBox();
  const groups = await groupSelect(api, 'Group', params.get('group') || undefined);
  if (!groups.groups.length) {
    root.append(h('p', {}, 'No group is visible to this key. ', h('a', { href: '#/groups' }, 'Create a group'), ' first.'));
    return;
  }
  const groupId = () => groups.input.value;
  groups.input.addEventListener('change', () => go(`#/persons?group=${encodeURIComponent(groupId())}`));

  // Add a person.
  const pid = field('Person ID', h('input', { name: 'person_id', required: true, maxlength: 64, autocomplete: 'off' }));
  const pname = field('Person name', h('input', { name: 'person_name', required: true, maxlength: 60, autocomplete: 'off' }));
  const photo = field('Photo', h('input', { type: 'file', name: 'photo', accept: 'image/*' }), 'JPEG, PNG, BMP or WebP; the largest face is enrolled.');
  let captured = null;
  const preview = h('canvas', { role: 'img', 'aria-label': 'The enrolled photo with the face found', hidden: true });
  const camera = cameraCapture((blob) => {
    captured = blob;
    photo.input.value = '';
    messages.info('Camera photo taken: it will be used for this person.');
  }, messages);
  onLeave(camera.stop);
  photo.input.addEventListener('change', () => { captured = null; });
  const add = h('form', { class: 'panel', 'aria-label': 'Add a person' },
    h('h2', {}, 'Add a person'),
    h('div', { class: 'row' }, pid.wrapper, pname.wrapper, photo.wrapper),
    h('details', {}, h('summary', {}, 'Or take a photo with the camera'), camera.element),
    h('button', { type: 'submit' }, 'Add person'), preview);

  // Find.
  const find = field('Find by name or ID', h('input', { type: 'search', name: 'q', autocomplete: 'off' }));
  const listing = h('div');
  const detail = h('section', { hidden: true, 'aria-label': 'Person details' });
  root.append(h('div', { class: 'row' }, groups.wrapper, find.wrapper), add, messages.element, listing, detail);

  let persons = [];
  async function refresh() {
    persons = await listAllPersons(api, groupId());
    render();
  }
  function render() {
    const q = find.input.value.trim().toLowerCase();
    const hits = persons.filter((p) => !q || p.person_id.toLowerCase().includes(q) || p.person_name.toLowerCase().includes(q));
    const rows = hits.slice(0, SHOWN).map((p) => [
      p.person_id, p.person_name, String(p.face_ids.length),
      h('div', { class: 'faces' }, p.face_ids.slice(0, 3).map((f) => faceThumb(api, f, `Face of ${p.person_name}`))),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Open ${p.person_id}`, onclick: () => open(p.person_id) }, 'Open'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete person ${p.person_id}`, onclick: () => removePerson(p.person_id) }, 'Delete')),
    ]);
    const caption = `${hits.length} of ${persons.length} persons in ${groupId()}` + (hits.length > SHOWN ? ` (first ${SHOWN} shown)` : '');
    const children = [table(caption, ['ID', 'Name', 'Faces', 'Thumbnails', 'Actions'], rows)];
    if (q && !hits.length) {
      children.push(h('button', { type: 'button', class: 'secondary', onclick: () => open(find.input.value.trim()) },
        `Look up person ID "${find.input.value.trim()}" in every group`));
    }
    listing.replaceChildren(...children);
  }
  find.input.addEventListener('input', render);

  async function removePerson(personId) {
    try {
      await api.del(`/v1/persons/${seg(personId)}`);
      detail.hidden = true;
      await refresh();
      messages.info(`Person ${personId} deleted.`);
    } catch (err) { messages.error(err); }
  }

  async function open(personId) {
    try {
      const p = await api.get(`/v1/persons/${seg(personId)}`);
      const inGroups = await api.get(`/v1/persons/${seg(personId)}/groups`, { limit: 100 }).catch(() => ({ groups: [] }));
      const faces = h('div', { class: 'faces' }, p.face_ids.map((f, i) => h('figure', {},
        faceThumb(api, f, `Face ${f}`),
        h('figcaption', {}, p.face_sources[i] || f),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete face ${f}`, onclick: async () => {
          try {
            await api.del(`/v1/persons/${seg(personId)}/faces`, { face_ids: f });
            await open(personId);
            await refresh();
            messages.info(`Face ${f} deleted.`);
          } catch (err) { messages.error(err); }
        } }, 'Delete face'))));
      const more = field(`Add a face to ${personId}`, h('input', { type: 'file', accept: 'image/*' }));
      more.input.addEventListener('change', async () => {
        const file = more.input.files[0];
        if (!file) return;
        try {
          const img = await readPhoto(file);
          const r = await api.post(`/v1/persons/${seg(personId)}/faces`, { images: [img.base64], sources: [img.name] });
          await open(personId);
          await refresh();
          if (r.suc_face_num > 0) messages.info(`Face added to ${personId}.`);
          else messages.error({ code: `RetCode ${r.ret_codes[0]}`, message: 'the face was not added (-1101 no face, -1102 not decodable, -1601 quality, -1604 not the same person)' });
        } catch (err) { messages.error(err); }
      });
      detail.replaceChildren(
        h('h2', {}, `${p.person_name} (${p.person_id})`),
        h('p', {}, `Groups: ${inGroups.groups.map((g) => g.group_id).join(', ') || '-'}; created ${new Date(Number(p.creation_timestamp)).toISOString().slice(0, 16).replace('T', ' ')} UTC`),
        faces, more.wrapper,
        h('button', { type: 'button', class: 'danger', onclick: () => removePerson(personId) }, `Delete person ${p.person_id}`));
      detail.hidden = false;
      detail.querySelector('h2').setAttribute('tabindex', '-1');
      detail.querySelector('h2').focus();
    } catch (err) { messages.error(err); }
  }

  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = captured || photo.input.files[0];
    if (!file) { messages.error({ code: 'MissingPhoto', message: 'choose a photo or take one with the camera' }); return; }
    try {
      messages.info('Enrolling…');
      const img = await readPhoto(file);
      const personId = pid.input.value.trim();
      const r = await api.post(`/v1/groups/${seg(groupId())}/persons`, {
        person_id: personId, person_name: pname.input.value.trim(), image: img.base64, source: img.name,
      });
      if (r.similar_person_id) {
        messages.error({ code: 'SimilarPerson', message: `not added: the face matches ${r.similar_person_id}` });
        return;
      }
      drawPhoto(preview, img.bitmap, [{ rect: r.face_rect, label: personId }], 360);
      preview.hidden = false;
      add.reset();
      captured = null;
      await refresh();
      messages.info(`Person ${personId} added with face ${r.face_id} (${r.faces_in_photo} face${r.faces_in_photo === 1 ? '' : 's'} in the photo).`);
    } catch (err) { messages.error(err); }
  });
  await refresh();
}
