// Groups: create, rename, delete, with their person and face counts.
import { seg } from '../api.js';
import { field, h, messageBox, table } from '../ui.js';

/** Every group the key may see (pages of 1000). */
export async function listAllGroups(api) {
  const groups = [];
  for (let offset = 0; ; offset += 1000) {
    const r = await api.get('/v1/groups', { offset, limit: 1000 });
    groups.push(...r.groups);
    if (r.groups.length < 1000 || groups.length >= r.group_num) return groups;
  }
}

/** A <select> of the groups, labelled; `selected` preselects one. */
export async function groupSelect(api, labelText, selected) {
  const groups = await listAllGroups(api);
  const select = h('select', { name: 'group' },
    groups.map((g) => h('option', { value: g.group_id, selected: g.group_id === selected }, g.group_name ? `${g.group_id} (${g.group_name})` : g.group_id)));
  return { ...field(labelText, select), groups };
}

const PAGE = 50;  // groups listed at once

function when(ms) {
  const n = Number(ms);
  return n > 0 ? new Date(n).toISOString().slice(0, 16).replace('T', ' ') : '';
}

export async function renderGroups(root, { api }) {
  const messages = messageBox();
  const id = field('Group ID', h('input', { name: 'group_id', required: true, maxlength: 64, autocomplete: 'off' }));
  const name = field('Group name', h('input', { name: 'group_name', required: true, maxlength: 60, autocomplete: 'off' }));
  const tag = field('Tag (optional)', h('input', { name: 'tag', maxlength: 40, autocomplete: 'off' }));
  const create = h('form', { class: 'panel', 'aria-label': 'Create a group' },
    h('h2', {}, 'Create a group'),
    h('div', { class: 'row' }, id.wrapper, name.wrapper, tag.wrapper, h('button', { type: 'submit' }, 'Create group')));
  const listing = h('div', { 'aria-live': 'polite' });
  root.append(create, messages.element, listing);

  // A page of groups at a time: each shown group costs one count request, and
  // keys are rate-limited (100 requests/s by default).
  let offset = 0;
  async function refresh() {
    const r = await api.get('/v1/groups', { offset, limit: PAGE });
    if (!r.groups.length && offset > 0) { offset = Math.max(0, offset - PAGE); return refresh(); }
    const groups = r.groups;
    const counts = await Promise.all(groups.map((g) =>
      api.get(`/v1/groups/${seg(g.group_id)}/persons:count`).catch(() => ({ person_num: '?', face_num: '?' }))));
    const rows = groups.map((g, i) => [
      g.group_id,
      h('span', {}, g.group_name, g.tag ? h('span', { class: 'pill' }, g.tag) : null),
      when(g.creation_timestamp),
      String(counts[i].person_num),
      String(counts[i].face_num),
      actions(g, counts[i]),
    ]);
    const total = r.group_num;
    const caption = `${total} group${total === 1 ? '' : 's'}` + (total > PAGE ? ` (${offset + 1}-${offset + groups.length} shown)` : '');
    const pager = total > PAGE ? h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', disabled: offset === 0, onclick: () => { offset -= PAGE; refresh().catch(messages.error); } }, 'Previous groups'),
      h('button', { type: 'button', class: 'secondary', disabled: offset + PAGE >= total, onclick: () => { offset += PAGE; refresh().catch(messages.error); } }, 'Next groups')) : null;
    listing.replaceChildren(...(groups.length
      ? [table(caption, ['ID', 'Name', 'Created (UTC)', 'Persons', 'Faces', 'Actions'], rows), pager].filter(Boolean)
      : [h('p', {}, 'No groups yet: create one above.')]));
  }

  function actions(g, count) {
    const cell = h('div', { class: 'row' });
    const open = h('a', { href: `#/persons?group=${encodeURIComponent(g.group_id)}`, 'aria-label': `Persons of ${g.group_id}` }, 'Persons');
    const rename = h('button', { type: 'button', class: 'secondary', 'aria-label': `Rename group ${g.group_id}` }, 'Rename');
    const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete group ${g.group_id}` }, 'Delete');
    cell.append(open, rename, remove);
    rename.addEventListener('click', () => {
      const input = field(`New name for ${g.group_id}`, h('input', { value: g.group_name, required: true, maxlength: 60 }));
      const form = h('form', { class: 'row' }, input.wrapper, h('button', { type: 'submit' }, 'Save'),
        h('button', { type: 'button', class: 'secondary', onclick: () => refresh().catch(messages.error) }, 'Cancel'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await api.patch(`/v1/groups/${seg(g.group_id)}`, { group_name: input.input.value });
          await refresh();
          messages.info(`Group ${g.group_id} renamed to ${input.input.value}.`);
        } catch (err) { messages.error(err); }
      });
      cell.replaceChildren(form);
      input.input.focus();
    });
    remove.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'danger' }, `Yes, delete group ${g.group_id} (${count.person_num} persons)`);
      const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
      no.addEventListener('click', () => refresh().catch(messages.error));
      yes.addEventListener('click', async () => {
        try {
          await api.del(`/v1/groups/${seg(g.group_id)}`);
          await refresh();
          messages.info(`Group ${g.group_id} deleted.`);
        } catch (err) { messages.error(err); }
      });
      cell.replaceChildren(h('span', {}, 'Sure? '), yes, no);
      no.focus();
    });
    return cell;
  }

  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api.post('/v1/groups', { group_id: id.input.value.trim(), group_name: name.input.value.trim(), tag: tag.input.value.trim() });
      const created = id.input.value.trim();
      create.reset();
      await refresh();
      messages.info(`Group ${created} created.`);
    } catch (err) { messages.error(err); }
  });
  await refresh();
}
