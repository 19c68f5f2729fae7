// API keys (admin keys only; the server refuses every other key): create one
// (its secret shown once), change a key's role or groups, revoke it.
import { seg } from '../api.js';
import { field, h, messageBox, table } from '../ui.js';

const ROLES = ['read-only', 'read-write', 'admin'];

function when(ms) {
  const n = Number(ms);
  return n > 0 ? new Date(n).toISOString().slice(0, 16).replace('T', ' ') : '';
}

/** "a, b" -> ['a', 'b'] */
function groupList(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

function roleSelect(selected) {
  return h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r, selected: r === selected }, r)));
}

export async function renderKeys(root, { api, isAdmin }) {
  const messages = messageBox();
  if (!isAdmin) {
    root.append(h('p', {}, 'Only a key with the admin role manages API keys; this key is not one.'));
    return;
  }
  const role = field('Role', roleSelect('read-only'));
  const groups = field('Groups (optional)', h('input', { name: 'groups', autocomplete: 'off', spellcheck: 'false' }),
    'Group IDs separated by commas; empty = every group.');
  const description = field('Description (optional)', h('input', { name: 'description', maxlength: 200, autocomplete: 'off' }));
  const create = h('form', { class: 'panel', 'aria-label': 'Create a key' },
    h('h2', {}, 'Create a key'),
    h('div', { class: 'row' }, role.wrapper, groups.wrapper, description.wrapper, h('button', { type: 'submit' }, 'Create key')));
  const secret = h('div', { 'aria-live': 'polite' });
  const listing = h('div');
  root.append(create, secret, messages.element, listing);

  async function refresh() {
    const r = await api.get('/v1/keys');
    const keys = r.keys || [];
    const rows = keys.map((k) => [
      h('code', {}, k.secret_id),
      k.role,
      k.groups.length ? k.groups.join(', ') : 'all',
      k.description,
      when(k.created_ms),
      k.revoked ? h('span', { class: 'pill bad' }, `revoked ${when(k.revoked_ms)}`) : h('span', { class: 'pill good' }, 'active'),
      k.revoked ? '' : actions(k),
    ]);
    listing.replaceChildren(table(`${keys.length} key${keys.length === 1 ? '' : 's'} (secrets are never listed)`,
      ['SecretId', 'Role', 'Groups', 'Description', 'Created (UTC)', 'State', 'Actions'], rows));
  }

  function actions(k) {
    const cell = h('div', { class: 'row' });
    const edit = h('button', { type: 'button', class: 'secondary', 'aria-label': `Change key ${k.secret_id}` }, 'Change');
    const revoke = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke key ${k.secret_id}` }, 'Revoke');
    cell.append(edit, revoke);
    edit.addEventListener('click', () => {
      const newRole = field(`Role of ${k.secret_id}`, roleSelect(k.role));
      const newGroups = field(`Groups of ${k.secret_id}`, h('input', { value: k.groups.join(', '), autocomplete: 'off', spellcheck: 'false' }));
      const form = h('form', { class: 'row' }, newRole.wrapper, newGroups.wrapper, h('button', { type: 'submit' }, 'Save'),
        h('button', { type: 'button', class: 'secondary', onclick: () => refresh().catch(messages.error) }, 'Cancel'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await api.patch(`/v1/keys/${seg(k.secret_id)}`,
            { role: newRole.input.value, groups: groupList(newGroups.input.value), update_groups: true });
          await refresh();
          messages.info(`Key ${k.secret_id} changed: it applies from its next request.`);
        } catch (err) { messages.error(err); }
      });
      cell.replaceChildren(form);
      newRole.input.focus();
    });
    revoke.addEventListener('click', () => {
      const self = k.secret_id === api.secretId;
      const yes = h('button', { type: 'button', class: 'danger' }, self ? 'Yes, revoke the key I am signed in with' : `Yes, revoke ${k.secret_id}`);
      const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
      no.addEventListener('click', () => refresh().catch(messages.error));
      yes.addEventListener('click', async () => {
        try {
          await api.call('POST', `/v1/keys/${seg(k.secret_id)}:revoke`);  // the route takes no body
          if (self) { messages.info('This key is revoked; sign in with another.'); return; }
          await refresh();
          messages.info(`Key ${k.secret_id} revoked: it is refused from its next request.`);
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
      const r = await api.post('/v1/keys', {
        role: role.input.value, groups: groupList(groups.input.value), description: description.input.value.trim(),
      });
      const credential = field('The new key (SecretId:SecretKey)',
        h('input', { readonly: true, value: `${r.key.secret_id}:${r.secret_key}`, size: 80, spellcheck: 'false', name: 'new-key' }),
        'Copy it now: the SecretKey is shown this once and never listed.');
      secret.replaceChildren(h('section', { 'aria-label': 'New key' }, credential.wrapper));
      create.reset();
      await refresh();
      messages.info(`Key ${r.key.secret_id} created (${r.key.role}).`);
      credential.input.focus();
      credential.input.select();
    } catch (err) { messages.error(err); }
  });
  await refresh();
}
