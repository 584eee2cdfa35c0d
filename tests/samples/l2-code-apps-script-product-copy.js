// Product description generator - Google Sheets (Extensions > Apps Script)
// Tomás R., ecommerce team. Fill columns A-D, run generateDescriptions() from the menu.
// API key is stored in Script Properties (OPENAI_API_KEY), not in this file.

const MODEL = 'gpt-4o-mini';

function onOpen() {
  SpreadsheetApp.getUi().createMenu('AI tools')
    .addItem('Write descriptions', 'generateDescriptions')
    .addToUi();
}

function generateDescriptions() {
  const sheet = SpreadsheetApp.getActiveSheet();
  const rows = sheet.getDataRange().getValues();
  const apiKey = PropertiesService.getScriptProperties().getProperty('OPENAI_API_KEY');

  for (let i = 1; i < rows.length; i++) {
    const [name, category, features, price, existing] = rows[i];
    if (existing) continue; // already done

    const prompt = `You are a copywriter for an online outdoor gear shop.
Audience: hikers and campers, mostly 25-45, who read on mobile.
Write a product description for:
Product: ${name}
Category: ${category}
Key features: ${features}
Price: EUR ${price}

Rules:
- 60-80 words
- start with the main benefit, not the product name
- no superlatives like "best" or "ultimate"
- end with one line on who it is for
Example of the tone we want:
"Stay dry when the forecast lies. This 2.5-layer shell packs into its own pocket and weighs 310 g... Made for fast hikers who hate carrying extra."`;

    const res = UrlFetchApp.fetch('https://api.openai.com/v1/chat/completions', {
      method: 'post',
      contentType: 'application/json',
      headers: { Authorization: 'Bearer ' + apiKey },
      payload: JSON.stringify({
        model: MODEL,
        messages: [{ role: 'user', content: prompt }],
      }),
    });

    const text = JSON.parse(res.getContentText()).choices[0].message.content;
    sheet.getRange(i + 1, 5).setValue(text);
  }
}
