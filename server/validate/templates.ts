/**
 * Our own message texts for credential validation and password reset, by language. Variables in
 * `{{Name}}` are filled in: `Code`, `HostUrl`, `Token` (validation); `Login`, `Code`, `Cred`,
 * `Scheme`, `HostUrl` (reset).
 */
export interface MailTemplate {
  subject: string;
  text: string;
}

export interface LanguagePack {
  validation: MailTemplate;
  reset: MailTemplate;
  /** A text message (phones) carrying a validation or reset code. */
  sms: string;
}

export const TEMPLATES: Record<string, LanguagePack> = {
  en: {
    validation: {
      subject: 'Confirm your email address',
      text: 'Hello,\n\nUse this code to confirm your email address: {{Code}}\n\nIf you did not sign up at {{HostUrl}}, you can ignore this message.\n',
    },
    reset: {
      subject: 'Your password reset code',
      text: 'Hello,\n\nSomeone (hopefully you) asked to reset the password of "{{Login}}" at {{HostUrl}}.\nYour code: {{Code}}\n\nIf it was not you, ignore this message: your password stays as it is.\n',
    },
    sms: 'Your code: {{Code}}',
  },
  es: {
    validation: {
      subject: 'Confirma tu dirección de correo',
      text: 'Hola:\n\nUsa este código para confirmar tu dirección de correo: {{Code}}\n\nSi no te registraste en {{HostUrl}}, puedes ignorar este mensaje.\n',
    },
    reset: {
      subject: 'Tu código para restablecer la contraseña',
      text: 'Hola:\n\nAlguien (esperamos que tú) pidió restablecer la contraseña de "{{Login}}" en {{HostUrl}}.\nTu código: {{Code}}\n\nSi no fuiste tú, ignora este mensaje: tu contraseña no cambia.\n',
    },
    sms: 'Tu código: {{Code}}',
  },
  fr: {
    validation: {
      subject: 'Confirmez votre adresse e-mail',
      text: 'Bonjour,\n\nUtilisez ce code pour confirmer votre adresse e-mail : {{Code}}\n\nSi vous ne vous êtes pas inscrit sur {{HostUrl}}, ignorez ce message.\n',
    },
    reset: {
      subject: 'Votre code de réinitialisation du mot de passe',
      text: 'Bonjour,\n\nQuelqu\'un (vous, nous l\'espérons) a demandé à réinitialiser le mot de passe de « {{Login}} » sur {{HostUrl}}.\nVotre code : {{Code}}\n\nSi ce n\'était pas vous, ignorez ce message : votre mot de passe ne change pas.\n',
    },
    sms: 'Votre code : {{Code}}',
  },
  de: {
    validation: {
      subject: 'Bestätigen Sie Ihre E-Mail-Adresse',
      text: 'Hallo,\n\nmit diesem Code bestätigen Sie Ihre E-Mail-Adresse: {{Code}}\n\nWenn Sie sich nicht bei {{HostUrl}} angemeldet haben, ignorieren Sie diese Nachricht.\n',
    },
    reset: {
      subject: 'Ihr Code zum Zurücksetzen des Passworts',
      text: 'Hallo,\n\njemand (hoffentlich Sie) möchte das Passwort von „{{Login}}“ bei {{HostUrl}} zurücksetzen.\nIhr Code: {{Code}}\n\nWaren Sie es nicht, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.\n',
    },
    sms: 'Ihr Code: {{Code}}',
  },
  ru: {
    validation: {
      subject: 'Подтвердите адрес электронной почты',
      text: 'Здравствуйте!\n\nКод для подтверждения адреса электронной почты: {{Code}}\n\nЕсли вы не регистрировались на {{HostUrl}}, просто не обращайте внимания на это письмо.\n',
    },
    reset: {
      subject: 'Код для сброса пароля',
      text: 'Здравствуйте!\n\nКто-то (надеемся, вы) запросил сброс пароля учётной записи «{{Login}}» на {{HostUrl}}.\nВаш код: {{Code}}\n\nЕсли это были не вы, не обращайте внимания на письмо: пароль останется прежним.\n',
    },
    sms: 'Ваш код: {{Code}}',
  },
};

/** Fills `{{Name}}` placeholders. */
export function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => vars[name] ?? '');
}

/**
 * The pack for a session's language among `languages` (configured, in order of preference):
 * exact tag, then base language, then the first configured language, then English.
 */
export function pickLanguage(lang: string, languages: readonly string[]): LanguagePack {
  const available = languages.filter((l) => TEMPLATES[l] || TEMPLATES[l.split('-')[0] ?? '']);
  const want = lang.replace(/_/g, '-');
  const base = want.split('-')[0] ?? '';
  const chosen = available.find((l) => l.toLowerCase() === want.toLowerCase()) ?? available.find((l) => l.split('-')[0] === base) ?? available[0] ?? 'en';
  return TEMPLATES[chosen] ?? TEMPLATES[chosen.split('-')[0] ?? ''] ?? TEMPLATES.en!;
}
