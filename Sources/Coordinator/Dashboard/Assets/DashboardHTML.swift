/// The dashboard's one HTML page: a shell the scripts fill in. No inline script or style.
enum DashboardHTML {
    /// A green dot on a dark square.
    static let favicon = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f2a37"/><circle cx="8" cy="8" r="4" fill="#32d583"/></svg>"##

    static let index = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StationFleet</title>
<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/core.js" defer></script>
<script src="/ui/pages.js" defer></script>
<script src="/ui/station.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="#/">StationFleet</a>
  <nav id="nav" hidden>
    <a href="#/">Overview</a>
    <a href="#/alerts">Alerts</a>
    <a href="#/rollout">Rollout</a>
  </nav>
  <span id="conn" class="conn" role="status"></span>
  <span id="who" class="who"></span>
  <button id="signout" type="button" hidden>Sign out</button>
</header>
<div id="lost" class="banner bad" role="alert" hidden>Lost the coordinator: what you see may be out of date. Reconnecting…</div>
<main>
  <form id="signin" class="signin" hidden>
    <h1>Sign in</h1>
    <p>Paste the admin token or a viewer token (<code>fleetctl token create --role viewer</code>).</p>
    <label for="token">Token</label>
    <input id="token" name="token" type="password" autocomplete="off" required>
    <button type="submit">Sign in</button>
    <p id="signin-error" class="error" role="alert"></p>
  </form>
  <div id="view"></div>
</main>
</body>
</html>
"""#
}
