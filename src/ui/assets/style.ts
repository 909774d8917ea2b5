/** The UI's only stylesheet, embedded in the binary and served with a content hash in its URL. */
export const STYLE = `
:root{--bg:#f6f7f9;--panel:#fff;--text:#17202c;--muted:#5b6675;--line:#dfe3e8;--accent:#2f5bd3;--accent-ink:#fff;
--ok:#1d7a46;--ok-bg:#e4f4ea;--bad:#b4232a;--bad-bg:#fbe7e8;--warn:#8a5a00;--warn-bg:#fdf1d8;--bar:#5b7fe0;--bar2:#d9534f;--bar3:#2b9c6a;
--radius:8px;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#11151b;--panel:#19202a;--text:#e5e9ef;--muted:#9aa5b3;--line:#2b3440;--accent:#7aa2ff;--accent-ink:#0b1020;
--ok:#6fd39b;--ok-bg:#14301f;--bad:#ff8a8f;--bad-bg:#3a1517;--warn:#f3c46b;--warn-bg:#3a2c0c;--bar:#7aa2ff;--bar2:#ff8a8f;--bar3:#6fd39b}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--panel);padding:8px 12px;z-index:10}
.skip:focus{left:8px}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:8px 20px;padding:10px 20px;background:var(--panel);border-bottom:1px solid var(--line)}
.brand{font-weight:700;text-decoration:none;color:var(--text);font-size:17px}
.brand span{color:var(--accent)}
.top nav{flex:1 1 auto;min-width:0}
.top nav ul{display:flex;gap:2px;list-style:none;margin:0;padding:0;overflow-x:auto;scrollbar-width:thin}
.top nav a{display:block;padding:6px 10px;border-radius:6px;text-decoration:none;color:var(--muted);white-space:nowrap}
.top nav a:hover{background:var(--bg);color:var(--text)}
.top nav a[aria-current=page]{background:var(--accent);color:var(--accent-ink)}
.who{display:flex;align-items:center;gap:10px;color:var(--muted);font-size:13px}
main{max-width:1200px;margin:0 auto;padding:20px}
main:focus{outline:none}
h1{font-size:22px;margin:4px 0 16px}
h2{font-size:17px;margin:0 0 12px}
h3{font-size:15px;margin:0 0 8px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:var(--radius);padding:16px;margin-bottom:16px}
.panel>h2:first-child{display:flex;justify-content:space-between;align-items:baseline;gap:8px;flex-wrap:wrap}
.grid{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(260px,1fr))}
.cards{display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));margin-bottom:16px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:var(--radius);padding:12px 14px}
.card .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.card .k{color:var(--muted);font-size:13px}
.muted{color:var(--muted)}
.small{font-size:13px}
.mono,code{font-family:var(--mono);font-size:13px}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:7px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right}
tr:last-child td{border-bottom:0}
.actions{display:flex;flex-wrap:wrap;gap:6px}
form.inline{display:inline}
button,.button{font:inherit;font-size:14px;padding:6px 12px;border-radius:6px;border:1px solid var(--line);background:var(--panel);color:var(--text);cursor:pointer;text-decoration:none;display:inline-block;line-height:1.3}
button:hover,.button:hover{border-color:var(--muted)}
button.primary,.button.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-ink)}
button.danger{color:var(--bad);border-color:var(--bad)}
button.small,.button.small{font-size:13px;padding:3px 8px}
.nowrap{white-space:nowrap}
button.link{border:0;background:none;color:var(--accent);padding:0;text-decoration:underline}
button[disabled]{opacity:.6;cursor:progress}
label{display:block;font-size:13px;color:var(--muted);margin-bottom:4px}
input,select,textarea{font:inherit;font-size:14px;width:100%;padding:7px 9px;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--text)}
textarea{min-height:80px;font-family:var(--mono)}
input[type=checkbox]{width:auto;margin:0 6px 0 0}
.form-grid{display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));align-items:start}
.form-row{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin-top:12px}
fieldset{border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:0}
legend{font-size:13px;color:var(--muted);padding:0 4px}
.checks{display:flex;flex-wrap:wrap;gap:4px 14px}
.checks label{display:flex;align-items:center;color:var(--text);font-size:14px;margin:0}
.hint{font-size:12px;color:var(--muted);margin-top:3px}
details.create>summary{cursor:pointer;font-weight:600;list-style:none;display:inline-block}
details.create>summary::-webkit-details-marker{display:none}
details.create[open]>summary{margin-bottom:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;background:var(--bg);border:1px solid var(--line);white-space:nowrap}
.badge.ok{background:var(--ok-bg);color:var(--ok);border-color:transparent}
.badge.bad{background:var(--bad-bg);color:var(--bad);border-color:transparent}
.badge.warn{background:var(--warn-bg);color:var(--warn);border-color:transparent}
.notice{border-radius:var(--radius);padding:12px 14px;margin-bottom:16px;border:1px solid var(--line);background:var(--panel)}
.notice.ok{background:var(--ok-bg);border-color:transparent}
.notice.error{background:var(--bad-bg);border-color:transparent;color:var(--bad)}
.notice.warn{background:var(--warn-bg);border-color:transparent}
.notice h2{font-size:16px;margin-bottom:6px}
.notice p{margin:4px 0}
.secret-row{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin-top:8px}
.secret-row code{background:var(--panel);padding:6px 10px;border-radius:6px;border:1px solid var(--line);word-break:break-all;color:var(--text)}
.empty{text-align:center;color:var(--muted);padding:24px 8px}
.empty strong{display:block;color:var(--text);margin-bottom:4px}
meter{width:90px;height:10px;vertical-align:middle}
.chart{margin:0}
.chart svg{width:100%;height:auto;display:block}
.chart .axis{stroke:var(--line)}
.chart text{fill:var(--muted);font-size:10px;font-family:system-ui,sans-serif}
.chart .s0{fill:var(--bar)}
.chart .s1{fill:var(--bar2)}
.chart .s2{fill:var(--bar3)}
.legend{display:flex;gap:12px;font-size:12px;color:var(--muted);margin:4px 0 0}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.legend .s0{background:var(--bar)}.legend .s1{background:var(--bar2)}.legend .s2{background:var(--bar3)}
.pager{display:flex;gap:8px;align-items:center;justify-content:flex-end;margin-top:10px;font-size:13px}
.log{background:#0e1218;color:#d7dde6;border-radius:var(--radius);padding:12px;font-family:var(--mono);font-size:13px;max-height:560px;overflow:auto;white-space:pre-wrap;word-break:break-word}
.log .ev{padding:3px 0;border-bottom:1px solid #1f2631}
.log .ev:last-child{border-bottom:0}
.log .t-status{color:#8fb3ff}
.log .t-text{color:#f1f4f8}
.log .t-tool{color:#f3c46b}
.log .t-result{color:#6fd39b}
.log .t-err{color:#ff8a8f}
.log .t-dim{color:#7d8898}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}
dl.kv dt{color:var(--muted);font-size:13px}
dl.kv dd{margin:0;word-break:break-word}
.login{max-width:420px;margin:8vh auto;padding:0 16px}
.login .panel{padding:24px}
.toolbar{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin-bottom:12px}
.toolbar>div{min-width:140px;flex:1 1 140px}
.toolbar>.actions{min-width:0;flex:0 0 auto;flex-wrap:nowrap}
pre.block{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px;white-space:pre-wrap;word-break:break-word;margin:0;font-size:13px}
@media (max-width:640px){
 main{padding:12px}
 .top{padding:8px 12px}
 .top nav{order:3;flex-basis:100%}
 .who{margin-left:auto}
 table.stack thead{display:none}
 table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
 table.stack tr{border-bottom:1px solid var(--line);padding:6px 0}
 table.stack td{border:0;padding:3px 0;display:flex;gap:12px;justify-content:space-between;text-align:right}
 table.stack td::before{content:attr(data-label);color:var(--muted);font-size:12px;text-align:left;flex:0 0 auto}
 table.stack td.num{text-align:right}
 dl.kv{grid-template-columns:1fr}
 dl.kv dd{margin-bottom:6px}
}
`;
