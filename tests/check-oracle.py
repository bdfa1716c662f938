#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Compare our scorer with captured oracle output, field by field.

For each NAME.props in DIR there must be NAME.txt: `SYSTEMD_ANALYZE_DEBUG=1 systemd-analyze
security UNIT` (online, text) from the same container, and optionally NAME.json (the same with
--json=short, v250+), which adds json_field; or (to keep tests/oracle small) only NAME.json plus
NAME.overall, the "Overall exposure level" line of the text output. Our side is `test-golden --print VERSION NAME.props`.
Compared per row: check mark, badness, range, weight, EXPOSURE column, description (byte-exact),
json_field; per unit: the set of row names and the overall exposure line.
Usage: check-oracle.py TEST_GOLDEN_BINARY VERSION DIR [DIR...]   (exit 1 on any mismatch)"""
import json, os, re, subprocess, sys

ROW = re.compile(r'^(.) (\S+)\s+(.*?)\s+(\d+)\s+(\d+)\s+(\d+)(?:\s+(\d+\.\d))?\s*$')
MARK = {'✓': '+', '✗': 'x', ' ': '-'}

def oracle(txt, js):
    rows, overall = {}, None
    if not os.path.exists(txt):
        # v250+: only the JSON rows plus the summary line were kept (NAME.overall)
        overall = open(txt[:-4] + '.overall', encoding='utf-8').read().strip()
        overall = re.sub(r'^.*?Overall', 'Overall', overall).rsplit(' ', 1)[0]
        for d in json.load(open(js, encoding='utf-8')):
            b = d['badness']
            rows[d['name']] = dict(mark={True: '+', False: 'x', None: '-'}[d['set']],
                                   desc=d['description'] or '', weight=str(d['weight']),
                                   badness='n/a' if b == 18446744073709551615 else str(b),
                                   range=str(d['range']), exposure=d['exposure'] or '',
                                   json_field=d['json_field'])
        return rows, overall
    for line in open(txt, encoding='utf-8'):
        line = line.rstrip('\n')
        if 'Overall exposure level for' in line:
            overall = re.sub(r'^.*?Overall', 'Overall', line).rsplit(' ', 1)[0]
            continue
        m = ROW.match(line)
        if not m or m.group(2) == 'NAME':
            continue
        mark, name, desc, w, b, r, e = m.groups()
        b = 'n/a' if b == '18446744073709551615' else b
        rows[name] = dict(mark=MARK[mark], desc=desc, weight=w, badness=b, range=r, exposure=e or '')
    if js and os.path.exists(js) and os.path.getsize(js) > 0:
        for d in json.load(open(js, encoding='utf-8')):
            rows[d['name']]['json_field'] = d['json_field']
            rows[d['name']]['desc'] = d['description'] or ''
    return rows, overall

def ours(binary, version, props):
    out = subprocess.run([binary, '--print', str(version), props], capture_output=True,
                         text=True, check=True).stdout
    rows, overall = {}, None
    for line in out.splitlines():
        if line.startswith('Overall'):
            overall = line.rsplit(' ', 1)[0] if False else line
            continue
        if line.startswith('badness_sum='):
            continue
        head, json_field, br, w, e, desc = line.split('\t')
        mark, name = head.split(' ', 1)
        b, r = br.rsplit('/', 1)
        rows[name] = dict(mark=mark, desc=desc, weight=w, badness=b, range=r, exposure=e,
                          json_field=json_field)
    return rows, overall

def main():
    binary, version, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    units = rows_ok = rows_bad = units_bad = 0
    for d in dirs:
        for f in sorted(os.listdir(d)):
            if not f.endswith('.props'):
                continue
            base = os.path.join(d, f[:-6])
            # no oracle output: the unit could not be analyzed (not loaded), nothing to compare
            if not any(os.path.exists(base + e) and os.path.getsize(base + e) > 0
                       for e in ('.txt', '.json')):
                continue
            o_rows, o_overall = oracle(base + '.txt', base + '.json')
            if not o_rows:
                continue
            try:
                u_rows, u_overall = ours(binary, version, base + '.props')
            except subprocess.CalledProcessError:
                print('%s: our scorer failed' % f); units_bad += 1; continue
            units += 1
            bad = []
            if set(o_rows) != set(u_rows):
                bad.append('row names differ: oracle-only %s ours-only %s' % (
                    sorted(set(o_rows) - set(u_rows)), sorted(set(u_rows) - set(o_rows))))
            for name in o_rows:
                if name not in u_rows:
                    continue
                o, u = o_rows[name], u_rows[name]
                diffs = [k for k in o if o[k] != u[k]]
                if diffs:
                    rows_bad += 1
                    bad.append('%s: %s' % (name, '; '.join('%s oracle=%r ours=%r' % (k, o[k], u[k])
                                                         for k in diffs)))
                else:
                    rows_ok += 1
            # our overall line ends with the predicate; the oracle's with predicate + emoji
            if o_overall is None or not u_overall.startswith(o_overall.rsplit(' ', 1)[0]) or \
               u_overall.split()[-1] != o_overall.split()[-1]:
                bad.append('overall: oracle=%r ours=%r' % (o_overall, u_overall))
            if bad:
                units_bad += 1
                print('%s:\n  %s' % (f, '\n  '.join(bad)))
    print('version %s: %d units compared, %d mismatching; %d rows matched, %d rows differ' % (
        version, units, units_bad, rows_ok, rows_bad))
    return 1 if units_bad or rows_bad or units == 0 else 0

if __name__ == '__main__':
    sys.exit(main())
