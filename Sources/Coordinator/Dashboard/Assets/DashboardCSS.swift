/// The dashboard's style sheet: states are colour plus text; works from 360 px to 1920 px.
enum DashboardCSS {
    static let text = #"""
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f5f6f8}
a{color:#0b57b0}
code{font-family:ui-monospace,monospace}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;padding:8px 16px;background:#1f2a37;color:#fff}
.top a{color:#fff;text-decoration:none}
.brand{font-weight:700;font-size:16px}
#nav{display:flex;gap:12px}
#nav a:hover{text-decoration:underline}
.conn{margin-left:auto;font-size:12px}
.who{font-size:12px;opacity:.85}
button{font:inherit;padding:4px 10px;border:1px solid #8892a0;border-radius:4px;background:#fff;cursor:pointer}
button:hover{background:#eef1f5}
.top button{background:#334155;color:#fff;border-color:#64748b}
main{padding:12px 16px;max-width:1880px;margin:0 auto}
h1{font-size:20px;margin:8px 0 12px}
h2{font-size:16px;margin:16px 0 8px}
.banner{padding:8px 16px;font-weight:600}
.banner.bad{background:#b42318;color:#fff}
.signin{max-width:420px;background:#fff;padding:16px;border-radius:6px;border:1px solid #d0d5dd}
.signin input{display:block;width:100%;margin:4px 0 12px;padding:6px}
.error{color:#b42318}
.summary{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:12px}
.summary span{background:#fff;border:1px solid #d0d5dd;border-radius:4px;padding:4px 8px}
.site{background:#fff;border:1px solid #d0d5dd;border-radius:6px;margin-bottom:12px;overflow-x:auto}
.site h2{margin:0;padding:8px 12px;border-bottom:1px solid #e4e7ec}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{font-size:12px;color:#475467;font-weight:600}
.badge{display:inline-block;padding:1px 6px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.ok{background:#d1fadf;color:#05603a}
.warn{background:#fef0c7;color:#93370d}
.bad{background:#fee4e2;color:#912018}
.muted{background:#eaecf0;color:#344054}
.banner.bad{background:#b42318;color:#fff}
.disk{display:inline-block;width:80px;height:10px;background:#eaecf0;border-radius:5px;overflow:hidden;vertical-align:middle;margin-right:6px}
.disk i{display:block;height:100%;background:#12b76a}
.disk i.warn{background:#f79009}
.disk i.bad{background:#d92d20}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.small{font-size:12px;color:#475467}
.timeline{position:relative;height:28px;background:#eaecf0;border:1px solid #d0d5dd;border-radius:4px;margin:6px 0 2px;overflow:hidden}
.timeline .cov{position:absolute;top:0;bottom:0;background:#32d583}
img.snapshot{display:block;max-width:100%;width:480px;height:auto;border:1px solid #d0d5dd;border-radius:4px}
.timeline .none{position:absolute;top:0;bottom:0;background:#eaecf0;cursor:help}
.timeline .gap{position:absolute;top:0;bottom:0;background:#f04438;min-width:3px;cursor:help}
.timeline .gap:hover,.timeline .gap:focus{background:#912018;outline:2px solid #1b1f24}
.axis{display:flex;justify-content:space-between;font-size:11px;color:#475467}
.legend{font-size:12px;margin:4px 0 12px}
.legend .sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:middle}
.sw.cov{background:#32d583}.sw.gap{background:#f04438}.sw.none{background:#eaecf0;border:1px solid #d0d5dd}
.panel{background:#fff;border:1px solid #d0d5dd;border-radius:6px;padding:8px 12px;margin-bottom:12px;overflow-x:auto}
.actions{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
select{font:inherit;padding:3px}
@media (max-width:600px){
  main{padding:8px}
  .top{padding:8px}
  th,td{padding:4px 6px}
  .hide-narrow{display:none}
  .disk{width:48px}
}
"""#
}
