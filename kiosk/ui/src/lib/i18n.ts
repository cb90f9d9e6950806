// Every string the kiosk shows lives here, in both languages, under the same keys.
// `t(key, params)` looks a key up in the current language; the current language is read through a
// getter that the app binds to its reactive state, so components re-render when it changes.

export const LANGS = ['en', 'fr'] as const;
export type Lang = (typeof LANGS)[number];

const en = {
  'app.title': 'Vestibule',
  'app.loading': 'Starting…',
  'lang.en': 'English',
  'lang.fr': 'Français',
  'lang.label': 'Language',

  'setup.title': 'Set up this kiosk',
  'setup.intro': 'Enter the details given by your administrator. They are checked with the server before anything is saved.',
  'setup.urls': 'Server address(es)',
  'setup.urls_hint': 'One https:// address per line.',
  'setup.pins': 'Server key pin(s)',
  'setup.pins_hint': 'One per line, in the form sha256/…',
  'setup.code': 'Enrollment code',
  'setup.code_hint': '16 characters, for example ABCD-EFGH-JKMN-PQRS.',
  'setup.submit': 'Enroll',
  'setup.revoked': 'This kiosk is no longer enrolled. Ask your administrator for a new enrollment code.',

  'welcome.greeting': 'Welcome',
  'welcome.site': '{tenant} · {site}',
  'welcome.checkin': 'Tap to check in',
  'welcome.checkout': 'Check out',
  'welcome.override': 'Reception login',
  'welcome.override_ended': 'The reception session has ended.',

  'nav.back': 'Back',
  'nav.next': 'Next',
  'nav.cancel': 'Cancel',
  'nav.done': 'Done',
  'nav.home': 'Back to start',
  'nav.retry': 'Try again',
  'nav.exit': 'Exit',
  'nav.save': 'Save',
  'nav.working': 'Please wait…',

  'details.title': 'Your details',
  'details.name': 'Full name',
  'details.email': 'Email',
  'details.company': 'Company (optional)',
  'details.phone': 'Phone (optional)',
  'details.required': 'Required',

  'host.title': 'Who are you visiting?',
  'host.search': 'Search for your host',
  'host.hint': 'Type part of their name.',
  'host.none': 'No one found. Try another spelling.',
  'host.searching': 'Searching…',
  'host.unreachable': 'We can\u2019t search right now. Please try again.',

  'purpose.title': 'Purpose of your visit',
  'purpose.label': 'Purpose (optional)',

  'consent.title': 'Before you check in',
  'consent.default': 'Your name, email, company and phone are sent to the host you are visiting and kept by the company for its visitor log, for safety and security. The tablet keeps nothing. You can ask reception to see, correct or delete your data.',
  'consent.agree': 'I agree',
  'consent.submit': 'Check in',
  'consent.visiting': 'Visiting {host}',

  'confirm.welcome': 'Welcome, {name}',
  'confirm.badge': 'Your badge code',
  'confirm.qr': 'QR code of badge {code}',
  'confirm.notified': 'Your host has been notified.',
  'confirm.keep': 'Keep this code to check out when you leave.',

  'checkout.title': 'Check out',
  'checkout.code': 'Badge code',
  'checkout.hint': '8 letters and digits, shown when you checked in.',
  'checkout.submit': 'Check out',
  'checkout.done': 'You are checked out. Thank you for visiting!',

  'override.login_title': 'Reception login',
  'override.email': 'Email',
  'override.pin': 'PIN',
  'override.submit': 'Log in',
  'override.list_title': 'Visitors on site',
  'override.empty': 'No visitors are on site.',
  'override.col_name': 'Visitor',
  'override.col_company': 'Company',
  'override.col_host': 'Host',
  'override.col_since': 'Since',
  'override.col_actions': 'Actions',
  'override.checkout': 'Check out',
  'override.checkout_label': 'Check out {name}',
  'override.correct': 'Correct',
  'override.correct_label': 'Correct the record of {name}',
  'override.checkin': 'Check in a visitor',
  'override.refresh': 'Refresh',
  'override.correct_title': 'Correct a record',
  'override.correct_name': 'Visitor name',
  'override.correct_company': 'Company',
  'override.correct_purpose': 'Purpose',

  'error.unreachable.title': 'We can\u2019t reach the server',
  'error.unreachable.body': 'Nothing you typed is lost. Check the network, then try again.',
  'error.pin_mismatch.title': 'The server could not be verified',
  'error.pin_mismatch.body': 'For your safety nothing was sent. Please contact reception or IT.',
  'error.revoked.title': 'This kiosk is no longer enrolled',
  'error.revoked.body': 'Ask your administrator for a new enrollment code.',
  'error.keychain.title': 'This kiosk cannot run',
  'error.keychain.body': 'No secure key store is available on this device. Please contact IT.',
  'error.internal.title': 'Something went wrong',
  'error.internal.body': 'Please try again, or ask reception for help.',

  'field.required': 'This field is required.',
  'field.too_long_100': 'This is too long (at most 100 characters).',
  'field.too_long_200': 'This is too long (at most 200 characters).',
  'field.invalid_chars': 'This contains characters that are not allowed.',
  'field.email_invalid': 'Enter a valid email address, like name@example.com.',
  'field.phone_invalid': 'Use 6 to 32 digits, spaces and + ( ) - . only.',
  'field.badge_invalid': 'A badge code has 8 letters and digits.',
  'field.pin_invalid': 'The PIN is 4 to 12 digits.',
  'field.urls_invalid': 'Each line must be a full https:// address.',
  'field.pins_invalid': 'Each line must look like sha256/ followed by 44 base64 characters.',
  'field.code_invalid': 'The enrollment code has 16 letters and digits.',
  'field.host_required': 'Choose the person you are visiting.',
  'field.consent_required': 'Please tick \u201cI agree\u201d to continue.',
  'field.server_rejected': 'The server did not accept this value.',

  'form.not_found_badge': 'We couldn\u2019t find a visit with this badge code.',
  'form.conflict': 'This was already done, or changed meanwhile.',
  'form.locked': 'Too many attempts. Please wait and try again later.',
  'form.bad_login': 'The email or PIN is not correct.',
  'form.enroll_failed': 'Enrollment failed. Check the code and try again.',
  'form.rejected': 'The request was not accepted. Please check and try again.',
} as const;

export type MessageKey = keyof typeof en;
export type Dictionary = Record<MessageKey, string>;

const fr: Dictionary = {
  'app.title': 'Vestibule',
  'app.loading': 'Démarrage…',
  'lang.en': 'English',
  'lang.fr': 'Français',
  'lang.label': 'Langue',

  'setup.title': 'Configurer cette borne',
  'setup.intro': 'Saisissez les informations fournies par votre administrateur. Elles sont vérifiées auprès du serveur avant tout enregistrement.',
  'setup.urls': 'Adresse(s) du serveur',
  'setup.urls_hint': 'Une adresse https:// par ligne.',
  'setup.pins': 'Empreinte(s) de la clé du serveur',
  'setup.pins_hint': 'Une par ligne, sous la forme sha256/…',
  'setup.code': 'Code d\u2019enrôlement',
  'setup.code_hint': '16 caractères, par exemple ABCD-EFGH-JKMN-PQRS.',
  'setup.submit': 'Enrôler',
  'setup.revoked': 'Cette borne n\u2019est plus enrôlée. Demandez un nouveau code d\u2019enrôlement à votre administrateur.',

  'welcome.greeting': 'Bienvenue',
  'welcome.site': '{tenant} · {site}',
  'welcome.checkin': 'Touchez pour vous enregistrer',
  'welcome.checkout': 'Départ',
  'welcome.override': 'Connexion accueil',
  'welcome.override_ended': 'La session de l\u2019accueil est terminée.',

  'nav.back': 'Retour',
  'nav.next': 'Suivant',
  'nav.cancel': 'Annuler',
  'nav.done': 'Terminé',
  'nav.home': 'Retour à l\u2019accueil',
  'nav.retry': 'Réessayer',
  'nav.exit': 'Quitter',
  'nav.save': 'Enregistrer',
  'nav.working': 'Veuillez patienter…',

  'details.title': 'Vos coordonnées',
  'details.name': 'Nom complet',
  'details.email': 'E-mail',
  'details.company': 'Société (facultatif)',
  'details.phone': 'Téléphone (facultatif)',
  'details.required': 'Obligatoire',

  'host.title': 'Qui venez-vous voir ?',
  'host.search': 'Recherchez votre hôte',
  'host.hint': 'Tapez une partie de son nom.',
  'host.none': 'Personne n\u2019a été trouvé. Essayez une autre orthographe.',
  'host.searching': 'Recherche…',
  'host.unreachable': 'La recherche est impossible pour le moment. Veuillez réessayer.',

  'purpose.title': 'Objet de votre visite',
  'purpose.label': 'Objet (facultatif)',

  'consent.title': 'Avant de vous enregistrer',
  'consent.default': 'Vos nom, e-mail, société et téléphone sont transmis à la personne que vous venez voir et conservés par l\u2019entreprise dans son registre des visiteurs, pour la sûreté et la sécurité. La tablette ne conserve rien. Vous pouvez demander à l\u2019accueil de consulter, corriger ou supprimer vos données.',
  'consent.agree': 'J\u2019accepte',
  'consent.submit': 'M\u2019enregistrer',
  'consent.visiting': 'Visite à {host}',

  'confirm.welcome': 'Bienvenue, {name}',
  'confirm.badge': 'Votre code de badge',
  'confirm.qr': 'QR code du badge {code}',
  'confirm.notified': 'Votre hôte a été prévenu.',
  'confirm.keep': 'Gardez ce code pour signaler votre départ.',

  'checkout.title': 'Départ',
  'checkout.code': 'Code de badge',
  'checkout.hint': '8 lettres et chiffres, affichés à votre arrivée.',
  'checkout.submit': 'Signaler mon départ',
  'checkout.done': 'Votre départ est enregistré. Merci de votre visite !',

  'override.login_title': 'Connexion accueil',
  'override.email': 'E-mail',
  'override.pin': 'Code PIN',
  'override.submit': 'Se connecter',
  'override.list_title': 'Visiteurs sur site',
  'override.empty': 'Aucun visiteur sur site.',
  'override.col_name': 'Visiteur',
  'override.col_company': 'Société',
  'override.col_host': 'Hôte',
  'override.col_since': 'Depuis',
  'override.col_actions': 'Actions',
  'override.checkout': 'Départ',
  'override.checkout_label': 'Enregistrer le départ de {name}',
  'override.correct': 'Corriger',
  'override.correct_label': 'Corriger la fiche de {name}',
  'override.checkin': 'Enregistrer un visiteur',
  'override.refresh': 'Actualiser',
  'override.correct_title': 'Corriger une fiche',
  'override.correct_name': 'Nom du visiteur',
  'override.correct_company': 'Société',
  'override.correct_purpose': 'Objet',

  'error.unreachable.title': 'Le serveur est injoignable',
  'error.unreachable.body': 'Rien de ce que vous avez saisi n\u2019est perdu. Vérifiez le réseau puis réessayez.',
  'error.pin_mismatch.title': 'Le serveur n\u2019a pas pu être vérifié',
  'error.pin_mismatch.body': 'Pour votre sécurité, rien n\u2019a été envoyé. Veuillez contacter l\u2019accueil ou le service informatique.',
  'error.revoked.title': 'Cette borne n\u2019est plus enrôlée',
  'error.revoked.body': 'Demandez un nouveau code d\u2019enrôlement à votre administrateur.',
  'error.keychain.title': 'Cette borne ne peut pas fonctionner',
  'error.keychain.body': 'Aucun coffre de clés sécurisé n\u2019est disponible sur cet appareil. Veuillez contacter le service informatique.',
  'error.internal.title': 'Une erreur est survenue',
  'error.internal.body': 'Veuillez réessayer ou demander de l\u2019aide à l\u2019accueil.',

  'field.required': 'Ce champ est obligatoire.',
  'field.too_long_100': 'Ce texte est trop long (100 caractères au plus).',
  'field.too_long_200': 'Ce texte est trop long (200 caractères au plus).',
  'field.invalid_chars': 'Ce texte contient des caractères non autorisés.',
  'field.email_invalid': 'Saisissez une adresse e-mail valide, comme nom@exemple.fr.',
  'field.phone_invalid': 'De 6 à 32 chiffres, espaces et + ( ) - . uniquement.',
  'field.badge_invalid': 'Un code de badge comporte 8 lettres et chiffres.',
  'field.pin_invalid': 'Le code PIN comporte de 4 à 12 chiffres.',
  'field.urls_invalid': 'Chaque ligne doit être une adresse https:// complète.',
  'field.pins_invalid': 'Chaque ligne doit être de la forme sha256/ suivi de 44 caractères base64.',
  'field.code_invalid': 'Le code d\u2019enrôlement comporte 16 lettres et chiffres.',
  'field.host_required': 'Choisissez la personne que vous venez voir.',
  'field.consent_required': 'Cochez « J\u2019accepte » pour continuer.',
  'field.server_rejected': 'Le serveur n\u2019a pas accepté cette valeur.',

  'form.not_found_badge': 'Aucune visite ne correspond à ce code de badge.',
  'form.conflict': 'Cette action a déjà été faite, ou la fiche a changé entre-temps.',
  'form.locked': 'Trop de tentatives. Veuillez patienter puis réessayer.',
  'form.bad_login': 'L\u2019e-mail ou le code PIN est incorrect.',
  'form.enroll_failed': 'L\u2019enrôlement a échoué. Vérifiez le code et réessayez.',
  'form.rejected': 'La demande n\u2019a pas été acceptée. Vérifiez et réessayez.',
};

export const dictionaries: Record<Lang, Dictionary> = { en, fr };

let currentLang: () => Lang = () => 'en';

/** Binds `t` to a (reactive) source of the current language. */
export function bindLanguage(source: () => Lang): void {
  currentLang = source;
}

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

export function isMessageKey(v: unknown): v is MessageKey {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(en, v);
}

export type Params = Record<string, string | number>;

/** Looks `key` up in `lang` and fills `{param}` placeholders. Unknown placeholders stay as they are. */
export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  const template = dictionaries[lang][key] ?? dictionaries.en[key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** Translates into the current language. */
export function t(key: MessageKey, params?: Params): string {
  return translate(currentLang(), key, params);
}
