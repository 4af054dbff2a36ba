/**
 * A PostgreSQL URL for messages and generated-file headers: the password
 * replaced, and the query left out, since `?password=` and `?sslpassword=`
 * are passwords too.
 *
 * @example redactUrl('postgres://u:pw@h/db?sslmode=require') // 'postgres://u:***@h/db'
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return '(unparseable PostgreSQL URL)';
  }
}
