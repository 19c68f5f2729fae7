// Bulk enrolment of many photos (files, a folder or a ZIP archive) into a
// group, with progress; resumable: a
// photo whose name is already among its person's face sources (recorded by
// the server) is skipped, so running the same set again adds only what is
// missing (as `facekit gallery enroll` does).
import { seg } from '../api.js';
import { field, h, messageBox, readPhoto, table } from '../ui.js';
import { zipEntries } from '../zip.js';
import { groupSelect } from './groups.js';

/** The person of a photo by its path: its folder ("folder/penny/1.jpg" -> penny), else its name without digits ("penny2.png" -> penny). */
export function personOf(path) {
  const parts = path.split('/').filter(Boolean);
  if (parts.length >= 2) return parts[parts.length - 2];
  const name = parts[0] || path;
  return name.replace(/\.[^.]*$/, '').replace(/[-_ ]*\d+$/, '') || name;
}

const IMAGE = /\.(jpe?g|png|bmp|webp)$/i;

export async function renderEnroll(root, { api, params }) {
  const messages = messageBox();
  const groups = await groupSelect(api, 'Group', params.get('group') || undefined);
  const files = field('Photos', h('input', { type: 'file', accept: 'image/*', multiple: true }),
    'Named PERSON.jpg or PERSON1.jpg, PERSON2.jpg…: the person is the name without its number.');
  const folder = field('Or a folder', h('input', { type: 'file', webkitdirectory: true, multiple: true }),
    'FOLDER/PERSON/IMAGE: the person is the folder holding the image.');
  const archive = field('Or a ZIP file', h('input', { type: 'file', accept: '.zip,application/zip' }),
    'PERSON/IMAGE inside, at any depth, as for a folder.');
  const start = h('button', { type: 'submit' }, 'Enrol');
  const stop = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Stop');
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Enrolment progress' });
  const counts = h('p', { role: 'status', 'aria-live': 'polite' });
  const failures = h('div');
  const form = h('form', { class: 'panel', 'aria-label': 'Bulk enrolment' },
    h('div', { class: 'row' }, groups.wrapper, files.wrapper, folder.wrapper, archive.wrapper), h('div', { class: 'row' }, start, stop));
  root.append(form, messages.element, progress, counts, failures);
  let stopping = false;
  stop.addEventListener('click', () => { stopping = true; });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    // {path, read()} for every photo chosen; the path is also the face's source.
    let list = [...files.input.files, ...folder.input.files].map((f) => ({ path: f.webkitRelativePath || f.name, read: async () => f }));
    try {
      if (archive.input.files[0]) list.push(...await zipEntries(archive.input.files[0]));
    } catch (err) { messages.error(err); return; }
    list = list.filter((item) => IMAGE.test(item.path));
    if (!list.length) { messages.error({ code: 'MissingPhoto', message: 'choose photos, a folder or a ZIP file of photos' }); return; }
    const groupId = groups.input.value;
    const tally = { added: 0, skipped: 0, failed: 0 };
    const failed = [];
    const known = new Map();  // person id -> face sources, or null when the person does not exist
    stopping = false;
    start.disabled = true;
    stop.disabled = false;
    progress.max = list.length;
    progress.value = 0;
    messages.clear();
    for (const [i, item] of list.entries()) {
      if (stopping) break;
      const personId = personOf(item.path);
      const source = item.path;
      try {
        if (!known.has(personId)) {
          const p = await api.get(`/v1/persons/${seg(personId)}`).catch((err) => {
            if (err.code === 'InvalidParameterValue.PersonIdNotExist') return null;
            throw err;
          });
          known.set(personId, p ? p.face_sources : null);
        }
        const sources = known.get(personId);
        if (sources && sources.includes(source)) {
          tally.skipped++;
        } else {
          const img = await readPhoto(await item.read());
          if (sources === null) {
            await api.post(`/v1/groups/${seg(groupId)}/persons`, { person_id: personId, person_name: personId, image: img.base64, source });
            known.set(personId, [source]);
          } else {
            const r = await api.post(`/v1/persons/${seg(personId)}/faces`, { images: [img.base64], sources: [source] });
            if (r.suc_face_num !== 1) throw Object.assign(new Error('the face was not added (-1101 no face, -1102 not decodable, -1601 quality, -1604 not the same person)'), { code: `RetCode ${r.ret_codes[0]}` });
            sources.push(source);
          }
          tally.added++;
        }
      } catch (err) {
        tally.failed++;
        failed.push([source, personId, err.code || 'Error', err.message]);
      }
      progress.value = i + 1;
      counts.textContent = `${i + 1} of ${list.length}: ${tally.added} added, ${tally.skipped} already enrolled (skipped), ${tally.failed} failed`;
    }
    if (stopping) counts.textContent += '. Stopped: enrol the same photos again to resume.';
    failures.replaceChildren(failed.length ? table('Photos not enrolled', ['Photo', 'Person', 'Code', 'Message'], failed) : '');
    start.disabled = false;
    stop.disabled = true;
  });
}
