/**
 * The body of Odoo's website 404 page, trimmed: the same document skeleton, title, error heading
 * and public session info as a real server renders, without its asset bundles.
 */
export function notFoundPage(version: number): string {
  return `<!DOCTYPE html>
<html dir="ltr">
    <head>
        <meta charset="utf-8"/>
        <meta http-equiv="X-UA-Compatible" content="IE=edge"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>Odoo</title>
        <link type="image/x-icon" rel="shortcut icon" href="/web/static/img/favicon.ico"/>
        <script type="text/javascript">
            odoo.__session_info__ = {"is_admin": false, "is_system": false, "is_public": true, "uid": null, "is_frontend": true, "websocket_worker_version": "${version}.0-2"};
        </script>
    </head>
    <body>
        <div id="wrapwrap">
            <main>
                <div id="wrap">
                    <div class="oe_structure oe_empty">
                        <h1 class="visually-hidden">Error 404</h1>
                        <h2>We couldn't find the page you're looking for!</h2>
                        <p><b>Don't panic.</b> If you think it's our mistake, please send us a message on <a href="/contactus">this page</a>.</p>
                        <ul class="list-inline text-center">
                            <li class="list-inline-item mb-2"><a href="/" class="btn btn-primary">Home</a></li>
                        </ul>
                    </div>
                </div>
            </main>
        </div>
    </body>
</html>`;
}

/** werkzeug's InternalServerError page (what Odoo answers when a request dies outside a dispatcher). */
export const INTERNAL_SERVER_ERROR_PAGE = `<!doctype html>
<html lang=en>
<title>500 Internal Server Error</title>
<h1>Internal Server Error</h1>
<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>
`;

/** What nginx in front of a dead or restarting Odoo answers. */
export const BAD_GATEWAY_PAGE = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`;

export const REQUEST_TOO_LARGE_PAGE = `<!doctype html>
<html lang=en>
<title>413 Request Entity Too Large</title>
<h1>Request Entity Too Large</h1>
<p>The data value transmitted exceeds the capacity limit.</p>
`;

export const METHOD_NOT_ALLOWED_PAGE = `<!doctype html>
<html lang=en>
<title>405 Method Not Allowed</title>
<h1>Method Not Allowed</h1>
<p>The method is not allowed for the requested URL.</p>
`;

/** werkzeug's own error page (no website: what a database-less request gets). */
export function werkzeugErrorPage(status: number, title: string, description: string): string {
  // werkzeug escapes the description and turns its newlines into <br>.
  const escaped = description
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;')
    .replace(/\n/g, '<br>');
  return `<!doctype html>\n<html lang=en>\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${escaped}</p>\n`;
}
